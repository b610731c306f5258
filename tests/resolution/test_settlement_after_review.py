"""A settlement disputed and reconsidered: the claim keeps one agreement, revised to the new
terms, and what was paid under the old one counts towards it."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from intake.models import ClaimStatus
from resolution import offers, payments, reviews
from resolution.models import ReviewOutcome, Settlement
from tests.resolution.test_offers import BREAKDOWN, TOTAL, make_world

pytestmark = pytest.mark.django_db

S = ClaimStatus


def _pay(settlement: Settlement, user, amount: Decimal, reference: str) -> None:
    payments.payment_record(
        settlement=settlement,
        adjuster=user,
        amount=amount,
        paid_on=timezone.localdate(),
        method="bank_transfer",
        finance_reference=reference,
    )


def _reconsidered(world) -> None:
    """The patient disputes the paid settlement; the triage lead (nobody else has room) finds
    for them and reopens the claim."""
    review = reviews.review_request(
        claim=world.claim, user=world.patient, reasons="The offer left out my future care."
    )
    reviews.review_decide(
        review=review,
        user=world.lead,
        outcome=ReviewOutcome.CHANGED,
        reasons="Future care was not valued.",
    )
    assert world.refresh().status == S.UNDER_REVIEW


def test_a_revised_settlement_counts_what_was_paid_and_closes_when_the_rest_is_paid():
    world = make_world()
    first = offers.offer_make(claim=world.claim, adjuster=world.adjuster, breakdown=BREAKDOWN)
    settlement = offers.offer_accept(offer=first, user=world.patient)
    _pay(settlement, world.adjuster, TOTAL, "FIN-1")
    assert world.refresh().status == S.CLOSED
    _reconsidered(world)

    more = [*BREAKDOWN[:1], {"head": "earnings", "past": "4200.00", "future": ""}]
    second = offers.offer_make(claim=world.claim, adjuster=world.lead, breakdown=more)
    revised = offers.offer_accept(offer=second, user=world.patient)

    assert Settlement.objects.filter(claim=world.claim).count() == 1
    assert revised.pk == settlement.pk
    assert (revised.offer_id, revised.amount) == (second.pk, TOTAL + 3000)
    assert world.refresh().status == S.SETTLED
    _pay(revised, world.lead, Decimal("3000.00"), "FIN-2")
    assert world.refresh().status == S.CLOSED


def test_a_revised_settlement_already_covered_by_what_was_paid_closes_at_once():
    world = make_world()
    first = offers.offer_make(claim=world.claim, adjuster=world.adjuster, breakdown=BREAKDOWN)
    settlement = offers.offer_accept(offer=first, user=world.patient)
    _pay(settlement, world.adjuster, TOTAL, "FIN-1")
    _reconsidered(world)

    # The same amount again, with a clearer breakdown: nothing more is owed.
    second = offers.offer_make(
        claim=world.claim,
        adjuster=world.lead,
        breakdown=BREAKDOWN,
        respond_by=timezone.localdate() + datetime.timedelta(days=10),
    )
    offers.offer_accept(offer=second, user=world.patient)

    assert world.refresh().status == S.CLOSED
