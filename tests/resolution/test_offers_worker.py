"""The offers' beat tasks in a real worker, from the real broker: an offer past its date lapses,
one near it is warned of, and the patient's email names no amount."""

import datetime
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from intake.models import ClaimStatus
from resolution.models import Offer, OfferState
from resolution.offers_tasks import offers_lapse_due_task, offers_warn_lapsing_task
from tests.resolution.test_offers import make_world

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 60


def _wait_for(check, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.25)
    pytest.fail(f"{what} did not happen within {WAIT_SECONDS}s")


def _open_offer(world, *, respond_by: datetime.date, amount: str) -> Offer:
    type(world.claim).objects.filter(pk=world.claim.pk).update(status=ClaimStatus.OFFER_MADE)
    return Offer.objects.create(
        claim=world.claim,
        round=1,
        made_by=world.adjuster,
        amount=Decimal(amount),
        breakdown=[{"head": "general_damages", "past": amount, "future": "0.00"}],
        respond_by=respond_by,
    )


def test_the_beat_tasks_lapse_and_warn_in_a_worker(celery_worker):
    today = timezone.localdate()
    past_due, soon = make_world(), make_world()
    lapsing = _open_offer(past_due, respond_by=today - datetime.timedelta(days=1), amount="4321.00")
    ending = _open_offer(soon, respond_by=today + datetime.timedelta(days=3), amount="8765.00")

    offers_lapse_due_task.delay()
    offers_warn_lapsing_task.delay()

    _wait_for(
        lambda: Offer.objects.filter(pk=lapsing.pk, state=OfferState.LAPSED).exists(),
        "The lapse of the offer past its date",
    )
    _wait_for(
        lambda: Offer.objects.filter(pk=ending.pk, lapse_warned_at__isnull=False).exists(),
        "The warning of the offer ending soon",
    )
    past_due.refresh()
    assert past_due.claim.status == ClaimStatus.OFFER_LAPSED
    assert Offer.objects.get(pk=ending.pk).state == OfferState.OPEN
    emails = _wait_for(
        lambda: [
            text
            for path in celery_worker.mail_dir.iterdir()
            if soon.patient.email in (text := path.read_text())
        ],
        "The warning's email to the patient",
    )
    for text in emails:
        assert "8765" not in text and "8,765" not in text
