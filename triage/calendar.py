"""Business days: weekends and the holiday calendar (triage.Holiday) do not count."""

import datetime

from triage.models import Holiday

WEEKEND = (5, 6)


def holidays_between(start: datetime.date, end: datetime.date) -> set[datetime.date]:
    """The holidays in [start, end], in one query."""
    return set(Holiday.objects.filter(date__range=(start, end)).values_list("date", flat=True))


def add_business_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` business days after `start` (start itself does not count)."""
    # Weekends and holidays rarely stretch a span past twice its length plus two weeks.
    holidays = holidays_between(start, start + datetime.timedelta(days=days * 2 + 14))
    current, left = start, days
    while left > 0:
        current += datetime.timedelta(days=1)
        if current.weekday() not in WEEKEND and current not in holidays:
            left -= 1
    return current
