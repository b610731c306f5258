"""Which routing rule a claim matches, and the rule in words. Rules and claims are built in
memory: matching reads only their fields, so no database is needed."""

import datetime
from decimal import Decimal

import pytest

from intake.models import Claim
from portal.models import Provider
from triage.matching import first_matching_rule, rule_matches, rule_summary
from triage.models import RoutingRule

TODAY = datetime.date(2025, 6, 4)
ROYAL = Provider(pk=1, name="Royal Infirmary", region="North West")
GENERAL = Provider(pk=2, name="General Hospital", region="South East")


def _claim(**fields) -> Claim:
    defaults = {
        "provider": ROYAL,
        "harm_category": "surgical",
        "severity": "moderate",
        "claimed_amount": Decimal("12000.00"),
        "limitation_deadline": TODAY + datetime.timedelta(days=400),
    }
    return Claim(**{**defaults, **fields})


def _rule(**fields) -> RoutingRule:
    return RoutingRule(**{"position": 1, "name": "a rule", **fields})


def _matches(rule: RoutingRule, claim: Claim) -> bool:
    return rule_matches(rule, claim, today=TODAY)


@pytest.mark.parametrize(
    ("condition", "matching", "not_matching"),
    [
        (
            {"harm_categories": ["surgical", "medication"]},
            {"harm_category": "medication"},
            {"harm_category": "maternity"},
        ),
        ({"severities": ["death"]}, {"severity": "death"}, {"severity": "severe"}),
        ({"provider": GENERAL}, {"provider": GENERAL}, {"provider": ROYAL}),
        ({"region": "South East"}, {"provider": GENERAL}, {"provider": ROYAL}),
        (
            {"min_claimed_amount": Decimal("1000.00")},
            {"claimed_amount": Decimal("1000.00")},
            {"claimed_amount": Decimal("999.99")},
        ),
        (
            {"max_claimed_amount": Decimal("5000.00")},
            {"claimed_amount": Decimal("5000.00")},
            {"claimed_amount": Decimal("5000.01")},
        ),
        (
            {"max_days_to_limitation": 30},
            {"limitation_deadline": TODAY + datetime.timedelta(days=30)},
            {"limitation_deadline": TODAY + datetime.timedelta(days=31)},
        ),
    ],
    ids=["harm", "severity", "provider", "region", "amount-from", "amount-up-to", "limitation"],
)
def test_rule_condition_matches_and_fails_at_its_boundary(condition, matching, not_matching):
    rule = _rule(**condition)

    assert _matches(rule, _claim(**matching))
    assert not _matches(rule, _claim(**not_matching))


@pytest.mark.parametrize(
    "condition",
    [{"min_claimed_amount": Decimal("1000.00")}, {"max_claimed_amount": Decimal("5000.00")}],
    ids=["amount-from", "amount-up-to"],
)
def test_amount_condition_does_not_match_a_claim_without_an_amount(condition):
    # An unknown amount is neither known to be large nor known to be small.
    assert not _matches(_rule(**condition), _claim(claimed_amount=None))


def test_limitation_condition_does_not_match_a_claim_without_a_deadline():
    assert not _matches(_rule(max_days_to_limitation=30), _claim(limitation_deadline=None))


def test_limitation_condition_matches_a_claim_whose_deadline_has_passed():
    passed = _claim(limitation_deadline=TODAY - datetime.timedelta(days=3))

    assert _matches(_rule(max_days_to_limitation=30), passed)


def test_region_condition_does_not_match_a_claim_about_an_unlisted_provider():
    unlisted = _claim(provider=None, provider_not_listed="St Elsewhere")

    assert not _matches(_rule(region="North West"), unlisted)


def test_every_condition_must_hold():
    rule = _rule(severities=["death"], region="North West")

    assert _matches(rule, _claim(severity="death", provider=ROYAL))
    assert not _matches(rule, _claim(severity="death", provider=GENERAL))
    assert not _matches(rule, _claim(severity="minor", provider=ROYAL))


def test_rule_without_conditions_matches_any_claim():
    bare = Claim(provider_not_listed="St Elsewhere")

    assert _matches(_rule(), bare)
    assert _matches(_rule(), _claim())


def test_default_rule_matches_whatever_its_fields_say():
    assert _matches(_rule(is_default=True, severities=["death"]), _claim(severity="minor"))


def test_first_matching_rule_by_position_wins():
    rules = [
        _rule(position=3, name="any surgery", harm_categories=["surgical"]),
        _rule(position=2, name="deaths", severities=["death"]),
        _rule(position=1, name="births", harm_categories=["maternity"]),
    ]

    chosen = first_matching_rule(rules=rules, claim=_claim(severity="death"), today=TODAY)

    assert chosen.name == "deaths"


def test_default_rule_goes_last_whatever_its_position():
    rules = [
        _rule(position=1, name="default", is_default=True),
        _rule(position=7, name="deaths", severities=["death"]),
    ]

    assert first_matching_rule(rules=rules, claim=_claim(severity="death"), today=TODAY).name == (
        "deaths"
    )
    assert first_matching_rule(rules=rules, claim=_claim(severity="minor"), today=TODAY).name == (
        "default"
    )


def test_no_rule_matching_gives_none():
    rules = [_rule(position=1, severities=["death"])]

    assert first_matching_rule(rules=rules, claim=_claim(severity="minor"), today=TODAY) is None


def test_no_rules_gives_none():
    assert first_matching_rule(rules=[], claim=_claim(), today=TODAY) is None


def test_rule_summary_names_position_and_conditions():
    assert rule_summary(_rule(position=3, severities=["death"])) == "rule 3: severity death"
    assert rule_summary(_rule(position=9, is_default=True)) == "rule 9: default"


def test_rule_summary_describes_every_condition_in_words():
    rule = _rule(
        position=4,
        harm_categories=["surgical", "maternity"],
        severities=["severe", "death"],
        provider=ROYAL,
        region="North West",
        min_claimed_amount=Decimal("50000"),
        max_claimed_amount=Decimal("250000"),
        max_days_to_limitation=90,
    )

    assert rule_summary(rule) == (
        "rule 4: harm surgery or maternity and birth, severity severe or death, "
        "provider Royal Infirmary, region North West, claimed ≥ £50,000, claimed ≤ £250,000, "
        "≤ 90 days to the limitation deadline"
    )


def test_rule_summary_of_a_rule_without_conditions_says_any_claim():
    assert rule_summary(_rule(position=5)) == "rule 5: any claim"
