"""Reads for offers: the thread of a claim's rounds in one query, and the one door to a single
round (through the claim's own door, intake's `claim_get_for_user`, which audits the view)."""

import uuid

from intake.models import Claim
from intake.selectors import claim_get_for_user
from portal.access import refuse
from portal.models import User
from resolution.models import Offer
from resolution.offers import offer_check_may_answer


def offers_for_claim(*, claim: Claim) -> list[Offer]:
    """Every round of `claim`, first to last, with who made and answered each and any settlement
    it led to: one query however many rounds there are."""
    offers = list(
        Offer.objects.filter(claim_id=claim.pk)
        .select_related("made_by", "answered_by", "settlement")
        .order_by("round")
    )
    for offer in offers:
        offer.claim = claim  # already in hand: reading offer.claim costs no query
    return offers


def offer_get_for_user(
    *, user: User, claim_id: uuid.UUID, round_number: int, record_view: bool = True
) -> Offer:
    """Round `round_number` of the claim, if `user` may see the claim; else NotFound (audited)."""
    claim = claim_get_for_user(user=user, claim_id=claim_id, record_view=record_view)
    offer = Offer.objects.filter(claim_id=claim.pk, round=round_number).first()
    if offer is None:
        refuse(
            user=user,
            object_type="resolution.offer",
            object_id=f"{claim_id}:{round_number}",
            reason="not found",
        )
    offer.claim = claim
    return offer


def offer_get_for_answer(*, user: User, claim_id: uuid.UUID, round_number: int) -> Offer:
    """The round, for someone who may answer it for the patient: a stranger to the claim gets
    NotFound, someone who may only see it Refused (both audited)."""
    offer = offer_get_for_user(user=user, claim_id=claim_id, round_number=round_number)
    offer_check_may_answer(user=user, claim=offer.claim)
    return offer
