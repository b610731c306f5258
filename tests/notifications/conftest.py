"""A claim of an insurer with its patient, assigned adjuster and triage lead, whose answers hold
words no notification may ever repeat."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from intake.models import Claim, ClaimStatus
from portal.models import User
from resolution.models import Offer, OfferState
from tests.factories import (
    AdjusterFactory,
    ClaimFactory,
    CoverageFactory,
    TriageLeadFactory,
    UserFactory,
)

DESCRIPTION = "Zanzibar-Quokka left a retained sponge near the gallbladder"
INJURIES = "Marmalade-Ocelot sepsis and a perforated bowel"
CLAIMED_AMOUNT = Decimal("987654.32")
OFFER_AMOUNT = Decimal("123456.78")
#: What must never appear in an email or a notification title.
SECRETS = [
    "Zanzibar",
    "Quokka",
    "sponge",
    "gallbladder",
    "Marmalade",
    "Ocelot",
    "sepsis",
    "bowel",
    "987654",
    "987,654",
    "123456",
    "123,456",
    "discharge-letter.pdf",
]

#: A claim in one of these statuses has had an offer, answered this way.
OFFER_STATE_OF = {
    ClaimStatus.OFFER_MADE: OfferState.OPEN,
    ClaimStatus.COUNTER_PROPOSED: OfferState.COUNTERED,
    ClaimStatus.OFFER_DECLINED: OfferState.DECLINED,
    ClaimStatus.OFFER_LAPSED: OfferState.LAPSED,
    ClaimStatus.SETTLED: OfferState.ACCEPTED,
}


@dataclass
class World:
    patient: User
    adjuster: User
    lead: User
    claim: Claim

    def refresh(self) -> Claim:
        self.claim.refresh_from_db()
        return self.claim


def make_world(status: str = ClaimStatus.ASSIGNED) -> World:
    coverage = CoverageFactory()
    adjuster = AdjusterFactory(insurer=coverage.insurer)
    lead = TriageLeadFactory(insurer=coverage.insurer)
    patient = UserFactory()
    claim = ClaimFactory(
        claimant=patient,
        status=status,
        provider=coverage.provider,
        insurer=coverage.insurer,
        assigned_adjuster=adjuster,
        submitted_at=timezone.now(),
        description=DESCRIPTION,
        injuries=INJURIES,
        claimed_amount=CLAIMED_AMOUNT,
    )
    if status in OFFER_STATE_OF:
        # The round behind the status, whose amount no notification may name either.
        Offer.objects.create(
            claim=claim,
            round=1,
            made_by=adjuster,
            amount=OFFER_AMOUNT,
            respond_by=timezone.localdate() + datetime.timedelta(days=21),
            state=OFFER_STATE_OF[status],
        )
    return World(patient=patient, adjuster=adjuster, lead=lead, claim=claim)


@pytest.fixture
def world(db) -> World:
    return make_world()
