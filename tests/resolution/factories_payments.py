"""Settled claims for the payments tests: an insurer with an adjuster and a triage lead, a
claim of theirs in the status asked for, and the settlement the offers' code would have made
(created directly, as the offers' acceptance is not what these tests are about)."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from intake.models import ClaimStatus
from tests.factories import (
    AdjusterFactory,
    ClaimFactory,
    CoverageFactory,
    TriageLeadFactory,
    UserFactory,
    draft_answers,
)


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "resolution.Offer"

    claim = factory.SubFactory(ClaimFactory, status=ClaimStatus.OFFER_MADE)
    round = factory.Sequence(lambda n: n + 1)
    made_by = factory.LazyAttribute(lambda o: o.claim.assigned_adjuster or AdjusterFactory())
    amount = Decimal("10000.00")
    respond_by = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=21))
    state = "accepted"


class SettlementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "resolution.Settlement"

    offer = factory.SubFactory(OfferFactory)
    claim = factory.SelfAttribute("offer.claim")
    amount = factory.SelfAttribute("offer.amount")
    agreed_by = factory.SelfAttribute("offer.claim.claimant")
    # Agreed a week ago, so payments may be dated from then until today.
    agreed_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=7))


class InsurerWorld:
    """One insurer: coverage of a provider, an adjuster and a triage lead."""

    def __init__(self, adjuster_name: str = "Asha Patel"):
        self.coverage = CoverageFactory()
        self.insurer = self.coverage.insurer
        self.adjuster = AdjusterFactory(insurer=self.insurer, full_name=adjuster_name)
        self.lead = TriageLeadFactory(insurer=self.insurer)

    def claim(self, status: str = ClaimStatus.SETTLED, **fields):
        """A submitted claim of this insurer's, assigned to its adjuster, in `status`."""
        return ClaimFactory(
            claimant=fields.pop("claimant", None) or UserFactory(),
            status=status,
            provider=self.coverage.provider,
            insurer=self.insurer,
            assigned_adjuster=self.adjuster,
            submitted_at=timezone.now() - datetime.timedelta(days=90),
            **{**draft_answers(), **fields},
        )

    def settled_claim(self, amount: str = "10000.00", **fields):
        """A settled claim and its settlement of `amount`; returns the settlement."""
        claim = self.claim(**fields)
        offer = OfferFactory(claim=claim, amount=Decimal(amount), made_by=self.adjuster)
        return SettlementFactory(offer=offer)
