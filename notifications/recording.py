"""Writing down what happened to an email, once it has gone.

An email that has left cannot be called back, so the write that records it must not be lost to a
passing database error (SQLite's "database is locked", a PostgreSQL connection dropped, a
serialization failure or deadlock): it runs in its own short transaction and is tried again with
backoff, instead of failing the task and leaving the row for the sweeper to send again.
"""

import logging
import time
from collections.abc import Callable

from django.db import DatabaseError, connection, transaction

from portal.database_errors import (
    TRANSIENT_DATABASE_ERRORS,
    discard_broken_connections,
    jittered_backoff,
)

logger = logging.getLogger(__name__)

#: Tries of one write before it is handed to the broker (notifications_record_sent).
WRITE_ATTEMPTS = 6
BACKOFF_FIRST_SECONDS = 0.1
BACKOFF_MAX_SECONDS = 3.0


def write_with_retry(write: Callable[[], object], *, what: str) -> bool:
    """Run `write` (one statement) in a transaction of its own, again after a transient database
    error, up to WRITE_ATTEMPTS times. Returns whether it was written."""
    for attempt in range(WRITE_ATTEMPTS):
        try:
            _in_own_transaction(write)
            return True
        except TRANSIENT_DATABASE_ERRORS:
            logger.warning("Could not record %s (try %d); trying again.", what, attempt + 1)
            discard_broken_connections()
        except DatabaseError:
            # Not passing (a constraint, a bug): trying again cannot help.
            logger.exception("Could not record %s.", what)
            return False
        if attempt + 1 < WRITE_ATTEMPTS:
            time.sleep(
                jittered_backoff(attempt, first=BACKOFF_FIRST_SECONDS, maximum=BACKOFF_MAX_SECONDS)
            )
    return False


def _in_own_transaction(write: Callable[[], object]) -> None:
    """Outside a transaction, one statement in autocommit is its own transaction (and spares
    the BEGIN and COMMIT round trips); inside a caller's, a savepoint lets a failed try be
    undone and tried again."""
    if connection.in_atomic_block:
        with transaction.atomic():
            write()
    else:
        write()
