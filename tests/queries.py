"""Counting the database queries of a test client request."""

from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext


def queries_during(action: Callable[[], object]) -> int:
    """How many queries `action` runs. Counted at once: the captured queries are a view on
    Django's query log, which the next client request clears, so a count read later is 0."""
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)
