"""Counting the database queries of a test client request."""

from collections.abc import Callable

from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext


def queries_during(action: Callable[[], object]) -> int:
    """The queries `action` runs. Django clears its query log when a request starts, so a count
    taken across a client request is only right when the log starts empty."""
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)
