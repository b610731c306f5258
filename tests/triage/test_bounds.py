"""Every number a triage lead types has bounds that make sense, in the form and in the database,
and one bad rule never stops routing: the claim goes to the needs-triage queue with the reason."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from intake.models import Claim, ClaimStatus
from intake.services import claim_submit
from resolution.offers_forms import OfferForm
from tests.date_input_posts import date_parts
from tests.factories import UserFactory, complete_draft
from tests.portal.test_selectors import _signed_in
from tests.triage.test_views import Insurer
from triage.forms import RequestInformationForm
from triage.models import AdjusterProfile, RoutingDecision, RoutingRule
from triage.services import claim_assign, claim_route, claims_route_waiting

pytestmark = pytest.mark.django_db

OVERFLOWING = 2_147_483_647  # the largest a PostgreSQL integer holds; no calendar reaches it


@pytest.fixture
def ours():
    return Insurer("Asha Patel")


def _rule_form(team, **changes) -> dict:
    return {
        "position": 10,
        "name": "Serious harm",
        "team": team.pk,
        "priority": 3,
        "days_to_acknowledge": 3,
        "days_to_decide": 40,
        **changes,
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("days_to_decide", OVERFLOWING, "Enter the business days to decide, from 1 to 3,650."),
        ("days_to_decide", 0, "Enter the business days to decide, from 1 to 3,650."),
        ("days_to_decide", 3_651, "Enter the business days to decide, from 1 to 3,650."),
        (
            "days_to_acknowledge",
            -1,
            "Enter the business days to acknowledge, from 1 to 3,650.",
        ),
        ("position", 0, "Enter a position from 1 to 9,999"),
        ("position", OVERFLOWING, "Enter a position from 1 to 9,999"),
        ("min_claimed_amount", "-1", "Enter an amount in pounds from 0 to 999,999,999.99"),
        ("max_claimed_amount", "1000000000", "Enter an amount in pounds from 0 to 999,999,999.99"),
        (
            "max_days_to_limitation",
            3_651,
            "Enter the days left before the limitation deadline, from 0 to 3,650.",
        ),
    ],
)
def test_the_rule_form_refuses_numbers_out_of_bounds_and_says_what_is_allowed(
    ours, field, value, message
):
    response = _signed_in(ours.lead).post(
        reverse("triage:rule_new"), _rule_form(ours.team, **{field: value})
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RoutingRule.objects.filter(name="Serious harm").exists()


def test_the_rule_form_takes_the_bounds_themselves(ours):
    response = _signed_in(ours.lead).post(
        reverse("triage:rule_new"),
        _rule_form(
            ours.team,
            position=9_999,
            days_to_acknowledge=1,
            days_to_decide=3_650,
            min_claimed_amount="0",
            max_claimed_amount="999999999.99",
            max_days_to_limitation=0,
        ),
    )

    assert response.status_code == 302
    rule = RoutingRule.objects.get(name="Serious harm")
    assert rule.days_to_decide == 3_650


def test_the_model_refuses_out_of_bounds_values_when_validated(ours):
    rule = RoutingRule(
        insurer=ours.insurer, position=5, name="x", team=ours.team, days_to_decide=OVERFLOWING
    )

    with pytest.raises(ValidationError) as refused:
        rule.full_clean()

    assert "days_to_decide" in refused.value.message_dict


@pytest.mark.parametrize(
    "change",
    [
        {"days_to_decide": OVERFLOWING},
        {"days_to_acknowledge": 0},
        {"position": 10_000},
        {"min_claimed_amount": Decimal("-5")},
        {"max_days_to_limitation": 5_000},
        {"priority": 99},
        {"min_claimed_amount": Decimal("500"), "max_claimed_amount": Decimal("100")},
    ],
)
def test_the_database_refuses_a_rule_out_of_bounds_written_around_the_form(ours, change):
    rule = RoutingRule.objects.get(insurer=ours.insurer)

    with pytest.raises(IntegrityError), transaction.atomic():
        RoutingRule.objects.filter(pk=rule.pk).update(**change)


def test_the_database_refuses_an_adjuster_capacity_out_of_bounds(ours):
    with pytest.raises(IntegrityError), transaction.atomic():
        AdjusterProfile.objects.filter(user=ours.adjuster).update(capacity=OVERFLOWING)


def _force_bad_rule(rule: RoutingRule, **values) -> None:
    """Write a rule as an older release could have left it: the check constraint is dropped for
    this test only (PostgreSQL undoes the DDL with the test's transaction)."""
    with connection.cursor() as cursor:
        # Deferred foreign-key checks of this test's rows would otherwise block the ALTER.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for field in values:
            cursor.execute(
                f'ALTER TABLE triage_routingrule DROP CONSTRAINT "rule_{field}_bounds"'  # noqa: S608
            )
    RoutingRule.objects.filter(pk=rule.pk).update(**values)


def _submitted(ours):
    patient = UserFactory()
    return claim_submit(
        claim=complete_draft(patient, provider=ours.coverage.provider), user=patient
    )


def test_a_rule_forced_into_the_database_with_overflowing_days_sends_claims_to_needs_triage(
    ours,
):
    _force_bad_rule(RoutingRule.objects.get(insurer=ours.insurer), days_to_decide=OVERFLOWING)
    claim = _submitted(ours)

    claim_route(claim_id=claim.pk)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEEDS_TRIAGE
    assert claim.insurer == ours.insurer
    assert claim.team is None and claim.decide_by is None
    reason = RoutingDecision.objects.get(claim=claim).reason
    assert reason == (
        "rule 99: default could not be applied (business days to decide is 2147483647, outside "
        "1–3,650): a triage lead routes it"
    )
    workspace = _signed_in(ours.lead).get(reverse("triage:lead_workspace")).content.decode()
    assert claim.reference in workspace
    assert "business days to decide is 2147483647" in workspace


def test_one_bad_rule_does_not_stop_the_sweep_routing_the_other_claims(ours):
    _force_bad_rule(RoutingRule.objects.get(insurer=ours.insurer), days_to_acknowledge=0)
    claims = [_submitted(ours) for _ in range(3)]
    later = timezone.now() + datetime.timedelta(hours=1)

    assert claims_route_waiting(now=later) == 3

    statuses = {c.status for c in type(claims[0]).objects.filter(pk__in=[c.pk for c in claims])}
    assert statuses == {ClaimStatus.NEEDS_TRIAGE}


def test_a_lead_assigns_by_hand_despite_a_default_rule_with_unusable_days(ours):
    rule = RoutingRule.objects.get(insurer=ours.insurer)
    _force_bad_rule(rule, days_to_decide=OVERFLOWING)
    claim = _submitted(ours)
    claim_route(claim_id=claim.pk)
    claim.refresh_from_db()

    claim_assign(claim=claim, lead=ours.lead, reason="Ours", adjuster=ours.adjuster, team=ours.team)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ASSIGNED
    assert claim.decide_by is not None


def test_an_offer_has_a_ceiling():
    form = OfferForm({"general_damages_past": "1000000000"}, claim=Claim())

    assert not form.is_valid()
    assert form.errors["general_damages_past"] == ["An offer must be under £1,000,000,000."]


@pytest.mark.parametrize("days_ahead", [0, 366, None])
def test_a_reply_by_date_is_after_today_and_within_a_year(days_ahead):
    today = timezone.localdate()
    due = datetime.date.max if days_ahead is None else today + datetime.timedelta(days_ahead)
    form = RequestInformationForm(
        {"body": "Please send the letter.", **date_parts("due_date", due)}
    )

    assert not form.is_valid()
    assert form.errors["due_date"] == ["Choose a reply-by date after today and within a year."]
