"""Business days: the due dates routing gives a claim skip weekends and the holiday calendar."""

import datetime

import pytest

from tests.factories import HolidayFactory
from triage.calendar import add_business_days

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2025, 6, 2)
WEDNESDAY = datetime.date(2025, 6, 4)
FRIDAY = datetime.date(2025, 6, 6)
SATURDAY = datetime.date(2025, 6, 7)
NEXT_MONDAY = datetime.date(2025, 6, 9)
NEXT_TUESDAY = datetime.date(2025, 6, 10)


def test_the_start_day_does_not_count():
    assert add_business_days(MONDAY, 1) == datetime.date(2025, 6, 3)
    assert add_business_days(MONDAY, 4) == FRIDAY


def test_weekends_are_skipped():
    assert add_business_days(FRIDAY, 1) == NEXT_MONDAY
    assert add_business_days(WEDNESDAY, 5) == datetime.date(2025, 6, 11)


def test_a_span_starting_on_a_weekend_counts_from_the_next_business_day():
    assert add_business_days(SATURDAY, 1) == NEXT_MONDAY


def test_zero_days_is_the_same_day_even_on_a_weekend():
    assert add_business_days(WEDNESDAY, 0) == WEDNESDAY
    assert add_business_days(SATURDAY, 0) == SATURDAY


def test_holidays_are_skipped():
    HolidayFactory(date=NEXT_MONDAY, name="Whit Monday")

    assert add_business_days(FRIDAY, 1) == NEXT_TUESDAY


def test_holidays_outside_the_span_change_nothing():
    HolidayFactory(date=datetime.date(2025, 5, 26), name="before the start")
    HolidayFactory(date=WEDNESDAY, name="the start day itself")

    assert add_business_days(WEDNESDAY, 2) == FRIDAY


def test_a_span_crossing_several_holidays_skips_each():
    for day, name in [(25, "Christmas Day"), (26, "Boxing Day")]:
        HolidayFactory(date=datetime.date(2025, 12, day), name=name)
    HolidayFactory(date=datetime.date(2026, 1, 1), name="New Year's Day")

    # Wed 24 Dec: the 25th, 26th and 1st are holidays, the 27th-28th a weekend, so the five
    # business days are 29, 30, 31 Dec, 2 Jan and Mon 5 Jan.
    assert add_business_days(datetime.date(2025, 12, 24), 5) == datetime.date(2026, 1, 5)


def test_a_long_span_lands_on_the_right_day():
    HolidayFactory(date=datetime.date(2025, 8, 25), name="Summer bank holiday")

    # 60 business days are twelve weeks; the holiday pushes the end one business day later.
    assert add_business_days(MONDAY, 60) == datetime.date(2025, 8, 26)
