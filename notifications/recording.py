"""Writing down what happened to an email, once it has gone.

An email that has left cannot be called back, so the write that records it must not be lost to a
passing database error (SQLite's "database is locked", a PostgreSQL connection dropped, a
serialization failure or deadlock): it runs in its own short transaction and is tried again with
backoff, instead of failing the task and leaving the row for the sweeper to send again. Errors no
retry mends ("no such table", a constraint) are not tried again.
"""

import logging
import time
from collections.abc import Callable

from django.db import DatabaseError, connection

from portal.database_errors import discard_broken_connections, is_transient, jittered_backoff

logger = logging.getLogger(__name__)

#: Tries of one write before it is handed to the broker (notifications_record_sent).
WRITE_ATTEMPTS = 6
BACKOFF_FIRST_SECONDS = 0.1
BACKOFF_MAX_SECONDS = 3.0


def write_with_retry(write: Callable[[], object], *, what: str) -> bool:
    """Run `write` (one statement) in autocommit, its own transaction, again after a transient
    database error, up to WRITE_ATTEMPTS times. Returns whether it was written.

    Inside a caller's transaction it is tried once and its error rises: on PostgreSQL a
    serialization failure or a lost connection cannot be mended within the same transaction, and
    waiting would only hold the caller's locks longer."""
    if connection.in_atomic_block:
        write()
        return True
    for attempt in range(WRITE_ATTEMPTS):
        try:
            write()
            return True
        except DatabaseError as error:
            if not is_transient(error):
                # A constraint, a missing table, a bug: trying again cannot help.
                logger.exception("Could not record %s.", what)
                return False
            logger.warning("Could not record %s (try %d); trying again.", what, attempt + 1)
            discard_broken_connections()
        if attempt + 1 < WRITE_ATTEMPTS:
            time.sleep(
                jittered_backoff(attempt, first=BACKOFF_FIRST_SECONDS, maximum=BACKOFF_MAX_SECONDS)
            )
    return False
