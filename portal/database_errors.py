"""Database errors that pass: the one list of them, the backoff before trying again, and what to
do with the connection after one."""

import random

from django.db import InterfaceError, OperationalError, connections

#: Django wraps the driver's errors: SQLite's "database is locked", a connection the server
#: dropped, psycopg's SerializationFailure and DeadlockDetected all arrive as one of these.
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)


def jittered_backoff(attempt: int, *, first: float, maximum: float) -> float:
    """Exponential backoff with jitter, so writers that collided do not collide again."""
    ceiling = min(first * 2**attempt, maximum)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret


def discard_broken_connections() -> None:
    """Close the connections outside a transaction after an error: one the server dropped stays
    unusable, and workers keep theirs between tasks (CELERY_DB_REUSE_MAX). Inside a caller's
    transaction the connection is theirs and stays."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()
