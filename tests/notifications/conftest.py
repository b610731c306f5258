"""A claim of an insurer with its patient, assigned adjuster and triage lead, whose answers hold
words no notification may ever repeat."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from intake.models import Claim, ClaimStatus
from portal.models import User
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
        offer_amount=OFFER_AMOUNT,
    )
    return World(patient=patient, adjuster=adjuster, lead=lead, claim=claim)


@pytest.fixture
def world(db) -> World:
    return make_world()
