"""Database errors that pass: how to tell them from the ones that do not, the backoff before
trying again, and what to do with the connection after one."""

import random

from django.db import InterfaceError, OperationalError, connections

#: Django wraps the driver's errors: SQLite's "database is locked", a connection the server
#: dropped, psycopg's SerializationFailure and DeadlockDetected all arrive as one of these, but
#: so do errors no retry can mend ("no such table"): is_transient() tells them apart.
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)

#: PostgreSQL's codes for a conflict or an interruption that a new try gets past: serialization
#: failure, deadlock, the server shutting down or starting; class 08 is lost connections.
#: https://www.postgresql.org/docs/current/errcodes-appendix.html
_PASSING_SQLSTATES = frozenset({"40001", "40P01", "57P01", "57P02", "57P03"})
_PASSING_SQLITE_MESSAGES = ("database is locked", "database table is locked", "database is busy")


def is_transient(error: BaseException) -> bool:
    """Whether `error` is a lock, a conflict or a lost connection, which passes with time."""
    if isinstance(error, InterfaceError):
        return True  # the connection is already closed: a new one will do
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate:
        return sqlstate in _PASSING_SQLSTATES or sqlstate.startswith("08")
    if type(cause).__module__.startswith("psycopg"):
        return True  # no code from the server: the connection itself failed or was lost
    message = str(error).lower()
    return any(passing in message for passing in _PASSING_SQLITE_MESSAGES)


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
