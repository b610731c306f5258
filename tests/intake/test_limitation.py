"""Limitation deadlines: every date is given explicitly, so no test depends on today."""

import datetime

import pytest

from intake.limitation import (
    LimitationRule,
    limitation_deadline,
    limitation_is_near,
    limitation_rule,
)

D = datetime.date
TODAY = D(2025, 6, 15)


def _deadline(*, knowledge, incident=None, born=None, jurisdiction=None):
    return limitation_deadline(
        knowledge_date=knowledge,
        incident_date=incident or knowledge,
        date_of_birth=born,
        jurisdiction=jurisdiction,
    )


# --- England and Wales (the default) ------------------------------------------------------------


def test_an_adult_has_three_years_from_the_date_of_knowledge():
    deadline = _deadline(knowledge=D(2020, 3, 15), incident=D(2020, 1, 10), born=D(1980, 5, 17))

    assert deadline == D(2023, 3, 15)


def test_without_a_date_of_birth_the_patient_is_treated_as_an_adult():
    assert _deadline(knowledge=D(2020, 3, 15), incident=D(2010, 1, 10)) == D(2023, 3, 15)


def test_a_patient_harmed_as_a_child_has_until_their_21st_birthday():
    deadline = _deadline(knowledge=D(2016, 1, 1), incident=D(2015, 5, 1), born=D(2010, 7, 1))

    assert deadline == D(2031, 7, 1)


def test_a_patient_harmed_as_a_child_who_found_out_late_has_three_years_from_finding_out():
    # 17 at the incident; 21 on 1 July 2027, but found out in September 2026.
    deadline = _deadline(knowledge=D(2026, 9, 1), incident=D(2024, 1, 1), born=D(2006, 7, 1))

    assert deadline == D(2029, 9, 1)


def test_harm_the_day_before_the_18th_birthday_counts_as_harm_to_a_child():
    deadline = _deadline(knowledge=D(2018, 5, 31), born=D(2000, 6, 1))

    assert deadline == D(2021, 6, 1)


def test_harm_on_the_18th_birthday_counts_as_harm_to_an_adult(settings):
    # With the default rule both periods are three years, so widen the child's to tell them apart.
    settings.LIMITATION_RULES = {
        "england-wales": {
            "years_from_knowledge": 3,
            "age_of_majority": 18,
            "years_after_majority": 9,
        }
    }

    assert _deadline(knowledge=D(2018, 6, 1), born=D(2000, 6, 1)) == D(2021, 6, 1)
    assert _deadline(knowledge=D(2018, 5, 31), born=D(2000, 6, 1)) == D(2027, 6, 1)


# --- Scotland -----------------------------------------------------------------------------------


def test_scotland_gives_an_adult_five_years_from_knowledge():
    deadline = _deadline(knowledge=D(2020, 3, 15), born=D(1980, 5, 17), jurisdiction="scotland")

    assert deadline == D(2025, 3, 15)


def test_scotland_gives_a_child_five_years_from_their_16th_birthday():
    deadline = _deadline(
        knowledge=D(2020, 2, 1), incident=D(2020, 1, 1), born=D(2010, 1, 1), jurisdiction="scotland"
    )

    assert deadline == D(2031, 1, 1)


def test_in_scotland_a_17_year_old_is_an_adult():
    born, harmed = D(2000, 1, 1), D(2017, 6, 1)

    assert _deadline(knowledge=harmed, born=born, jurisdiction="scotland") == D(2022, 6, 1)
    # The same facts under the default rule: a child, so the 21st birthday wins.
    assert _deadline(knowledge=harmed, born=born, jurisdiction="england-wales") == D(2021, 1, 1)


# --- Which rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize("jurisdiction", [None, "", "narnia"])
def test_an_unknown_or_missing_jurisdiction_falls_back_to_the_default(jurisdiction):
    assert limitation_rule(jurisdiction) == limitation_rule("england-wales")
    assert _deadline(knowledge=D(2020, 3, 15), jurisdiction=jurisdiction) == D(2023, 3, 15)


def test_the_default_jurisdiction_is_a_setting(settings):
    settings.DEFAULT_JURISDICTION = "scotland"

    assert _deadline(knowledge=D(2020, 3, 15), jurisdiction="narnia") == D(2025, 3, 15)


def test_the_rules_are_configurable(settings):
    settings.LIMITATION_RULES = {
        **settings.LIMITATION_RULES,
        "isle-of-man": {
            "years_from_knowledge": 2,
            "age_of_majority": 18,
            "years_after_majority": 1,
        },
    }

    assert limitation_rule("isle-of-man") == LimitationRule(
        years_from_knowledge=2, age_of_majority=18, years_after_majority=1
    )
    assert _deadline(knowledge=D(2020, 3, 15), jurisdiction="isle-of-man") == D(2022, 3, 15)
    deadline = _deadline(knowledge=D(2015, 1, 1), born=D(2010, 7, 1), jurisdiction="isle-of-man")
    assert deadline == D(2029, 7, 1)


def test_a_changed_default_rule_applies_to_claims_with_no_jurisdiction(settings):
    settings.LIMITATION_RULES = {
        "england-wales": {
            "years_from_knowledge": 6,
            "age_of_majority": 18,
            "years_after_majority": 3,
        }
    }

    assert _deadline(knowledge=D(2020, 3, 15)) == D(2026, 3, 15)


# --- 29 February --------------------------------------------------------------------------------
# In a common year the anniversary of 29 February falls on 28 February: the earlier of the two
# candidate days, so a patient is never told they have longer than they do.


def test_knowledge_on_29_february_ends_on_28_february_three_years_later():
    assert _deadline(knowledge=D(2020, 2, 29)) == D(2023, 2, 28)


def test_knowledge_on_29_february_keeps_29_february_when_the_deadline_falls_in_a_leap_year(
    settings,
):
    settings.LIMITATION_RULES = {
        "england-wales": {
            "years_from_knowledge": 4,
            "age_of_majority": 18,
            "years_after_majority": 3,
        }
    }

    assert _deadline(knowledge=D(2020, 2, 29)) == D(2024, 2, 29)


def test_scotland_knowledge_on_29_february_ends_on_28_february_five_years_later():
    assert _deadline(knowledge=D(2020, 2, 29), jurisdiction="scotland") == D(2025, 2, 28)


def test_a_child_born_on_29_february_has_until_28_february_after_turning_21():
    deadline = _deadline(knowledge=D(2010, 5, 5), born=D(2004, 2, 29))

    assert deadline == D(2025, 2, 28)


def test_a_child_born_on_29_february_comes_of_age_on_28_february_in_a_common_year(settings):
    # Widen the child's period so that being a child or an adult at the incident shows.
    settings.LIMITATION_RULES = {
        "england-wales": {
            "years_from_knowledge": 3,
            "age_of_majority": 18,
            "years_after_majority": 9,
        }
    }
    born = D(2004, 2, 29)

    assert _deadline(knowledge=D(2022, 2, 28), born=born) == D(2025, 2, 28)  # an adult
    assert _deadline(knowledge=D(2022, 2, 27), born=born) == D(2031, 2, 28)  # still a child


def test_a_scottish_child_born_on_29_february_turns_16_on_29_february():
    deadline = _deadline(knowledge=D(2010, 5, 5), born=D(2004, 2, 29), jurisdiction="scotland")

    # 16 on 29 February 2020 (a leap year), plus five years ends in a common year.
    assert deadline == D(2025, 2, 28)


# --- The warning --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deadline", "near"),
    [
        (D(2025, 11, 15), True),  # five months away
        (D(2026, 1, 15), False),  # seven months away
        (D(2025, 6, 14), True),  # yesterday: past
        (D(2020, 1, 1), True),  # long past
        (TODAY, True),  # today
        (D(2025, 12, 14), True),  # six months less a day
        (D(2025, 12, 15), False),  # exactly six months: not yet near
        (D(2025, 12, 16), False),
    ],
    ids=str,
)
def test_limitation_is_near_within_six_months_or_past(deadline, near):
    assert limitation_is_near(deadline, today=TODAY) is near


def test_limitation_is_near_on_a_month_end_today_counts_whole_months():
    # 31 August + 6 months is 28 February; a deadline on 28 February is exactly six months away.
    today = D(2025, 8, 31)

    assert limitation_is_near(D(2026, 2, 27), today=today) is True
    assert limitation_is_near(D(2026, 2, 28), today=today) is False


def test_the_warning_period_is_a_setting(settings):
    settings.LIMITATION_WARNING_MONTHS = 12

    assert limitation_is_near(D(2026, 1, 15), today=TODAY) is True  # seven months away
    assert limitation_is_near(D(2026, 6, 15), today=TODAY) is False  # twelve months away

    settings.LIMITATION_WARNING_MONTHS = 1

    assert limitation_is_near(D(2025, 11, 15), today=TODAY) is False  # five months away
    assert limitation_is_near(D(2025, 7, 14), today=TODAY) is True
