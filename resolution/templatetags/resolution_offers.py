"""The case pages' part for offers: the patient's side (`{% claim_offers claim %}` on
intake/claim_detail.html) and the staff side (`{% staff_offers claim %}` on triage/claim.html).

Each runs the same queries however many rounds the claim has had: the rounds in one query (with
who made and answered them and any settlement), and the access checks, which read the claim
alone."""

from decimal import Decimal

from django import template
from django.utils import timezone

from intake import access as claim_access
from intake.models import ClaimStatus
from resolution.models import HeadOfLoss, Offer, OfferState
from resolution.money import pounds as money_pounds
from resolution.offers import OFFER_MAY_BE_MADE, offer_default_respond_by, offer_is_open
from resolution.offers_forms import OfferForm
from resolution.offers_selectors import offers_for_claim

register = template.Library()

S = ClaimStatus
#: The patient has answered (or let the offer lapse): the insurer may revise it or deny the claim.
ANSWERED = (S.COUNTER_PROPOSED, S.OFFER_DECLINED, S.OFFER_LAPSED)


@register.filter
def pounds(amount) -> str:
    """£12,500.00 (empty for no amount)."""
    return money_pounds(Decimal(amount)) if amount not in (None, "") else ""


@register.filter
def breakdown_rows(offer: Offer) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """(head's label, past, future, both) for each part of the offer."""
    rows = []
    for part in offer.breakdown:
        past, future = Decimal(part["past"]), Decimal(part["future"])
        label = HeadOfLoss(part["head"]).label if part["head"] in HeadOfLoss.values else ""
        rows.append((label or part["head"], past, future, past + future))
    return rows


def _open_offer(claim, rounds: list[Offer]) -> Offer | None:
    latest = rounds[-1] if rounds else None
    if latest and claim.status == S.OFFER_MADE and offer_is_open(latest):
        return latest
    return None


@register.inclusion_tag("resolution/patient_offers.html", takes_context=True)
def claim_offers(context, claim):
    request = context["request"]
    rounds = offers_for_claim(claim=claim)
    latest = rounds[-1] if rounds else None
    return {
        "claim": claim,
        "request": request,
        "rounds": rounds,
        "open_offer": _open_offer(claim, rounds),
        # Waiting for an answer, but its date has passed: it lapses at the next sweep.
        "past_its_date": bool(
            latest and latest.state == OfferState.OPEN and not offer_is_open(latest)
        ),
        "may_answer": bool(rounds)
        and claim_access.claim_may_answer_for_patient(request.user, claim),
        # The patient's reasons may say how the harm affects them: not for an advocate who may
        # follow only the claim's status.
        "shows_reasons": bool(rounds) and claim_access.claim_may_read_answers(request.user, claim),
        "side": "patient",
    }


@register.inclusion_tag("resolution/staff_offers.html", takes_context=True)
def staff_offers(context, claim):
    request = context["request"]
    rounds = offers_for_claim(claim=claim)
    latest = rounds[-1] if rounds else None
    may_work = claim_access.claim_may_work(request.user, claim)
    may_make = may_work and claim.status in OFFER_MAY_BE_MADE
    return {
        "claim": claim,
        "request": request,
        "rounds": rounds,
        "latest": latest,
        "today": timezone.localdate(),
        "may_work": may_work,
        "may_make": may_make,
        "offer_form": (
            OfferForm(claim=claim, respond_by=offer_default_respond_by(claim), previous=latest)
            if may_make
            else None
        ),
        "may_accept_counter": may_work
        and claim.status == S.COUNTER_PROPOSED
        and latest is not None
        and latest.state == OfferState.COUNTERED,
        "may_deny": may_work and claim.status in ANSWERED,
        "shows_reasons": True,
        "side": "staff",
    }
