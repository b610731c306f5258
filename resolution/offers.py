"""Offers and the patient's answers: the insurer makes a round (an amount broken down by head of
loss, terms and a date to answer by); the patient, or an advocate allowed to, accepts it,
declines it or makes a counter-proposal; the insurer may accept the counter-proposal or make a
revised offer; an offer not answered by its date lapses.

Each change locks the claim row first and re-checks the offer under the lock, so two answers at
once cannot both win, and moves the claim through `claim_transition` in the same transaction
as the offer's own row: what the claim's status says and what the offer row says never part.
"""

import datetime
import logging
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from intake import access as claim_access
from intake.models import Claim, ClaimStatus
from intake.selectors import claim_jurisdiction_profile
from intake.services import ClaimError, claim_change_refuse, claim_transition
from notifications.events import EventKind
from notifications.outbox import notification_create_for_event
from portal.access import forbid
from portal.models import JurisdictionProfile, User
from resolution import payments
from resolution.models import HeadOfLoss, Offer, OfferState, Settlement
from resolution.money import PENNY, pounds
from triage.models import AMOUNT_MAX

logger = logging.getLogger(__name__)

S = ClaimStatus
#: Where a claim may be given an offer: under review (the first), or once the patient has
#: answered the last one or let it lapse (a revised offer).
OFFER_MAY_BE_MADE = (S.UNDER_REVIEW, S.COUNTER_PROPOSED, S.OFFER_DECLINED, S.OFFER_LAPSED)
#: The longest an offer may stay open: a year, like a request for information.
RESPOND_BY_MAX_DAYS = 365


# --- Reading an offer ---------------------------------------------------------------------------


def offer_heads(claim: Claim) -> list[str]:
    """The heads an offer on `claim` breaks down into: general damages, then the kinds of
    financial loss the patient listed, in HeadOfLoss order."""
    listed = set(claim.losses or {})
    return [HeadOfLoss.GENERAL_DAMAGES] + [
        head for head in HeadOfLoss.values if head != HeadOfLoss.GENERAL_DAMAGES and head in listed
    ]


def offer_default_respond_by(claim: Claim, *, today: datetime.date | None = None) -> datetime.date:
    """Today plus the days the claim's jurisdiction gives a patient to answer an offer."""
    today = today or timezone.localdate()
    return today + datetime.timedelta(days=claim_jurisdiction_profile(claim).days_to_answer_offer)


def _amount(value, *, what: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation:
        raise ClaimError(_("Enter %(what)s in pounds, like 2500.50.") % {"what": what}) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(PENNY):
        raise ClaimError(_("Enter %(what)s in pounds, like 2500.50.") % {"what": what})
    return amount.quantize(PENNY)


def _clean_breakdown(claim: Claim, breakdown: Iterable[dict]) -> tuple[list[dict], Decimal]:
    """The breakdown as stored (amounts as "1200.00") and its total; every head must be one of
    the claim's, once."""
    heads = offer_heads(claim)
    parts, seen = [], set()
    for part in breakdown:
        head = part.get("head")
        if head not in heads or head in seen:
            raise ClaimError(_("An offer can break down only into this claim's heads of loss."))
        seen.add(head)
        label = HeadOfLoss(head).label
        past = _amount(part.get("past"), what=_("the past amount for %s") % label)
        future = _amount(part.get("future"), what=_("the future amount for %s") % label)
        parts.append({"head": head, "past": str(past), "future": str(future)})
    total = sum((Decimal(p["past"]) + Decimal(p["future"]) for p in parts), Decimal("0.00"))
    if total <= 0:
        raise ClaimError(_("Enter at least one amount: an offer must be more than £0."))
    if total > AMOUNT_MAX:
        raise ClaimError(_("An offer must be under £1,000,000,000."))
    return parts, total


# --- The insurer's offer ------------------------------------------------------------------------


def offer_make(
    *,
    claim: Claim,
    adjuster: User,
    breakdown: Iterable[dict],
    terms: str = "",
    respond_by: datetime.date | None = None,
) -> Offer:
    """Make round N+1 on `claim`: the first offer of a claim under review, or a revised one once
    the patient has answered (or let the last one lapse). The amount is the breakdown's total;
    `respond_by` defaults to today plus the jurisdiction's days to answer and must be in the
    future. Raises ClaimError (TransitionNotPermitted, audited, for anyone not on the claim)."""
    if not claim_access.claim_may_work(adjuster, claim):
        claim_change_refuse(user=adjuster, claim=claim)  # before the transaction: the audit stays
    today = timezone.localdate()
    respond_by = respond_by or offer_default_respond_by(claim, today=today)
    if respond_by <= today:
        raise ClaimError(_("The answer-by date must be in the future."))
    if respond_by > today + datetime.timedelta(days=RESPOND_BY_MAX_DAYS):
        raise ClaimError(_("Choose an answer-by date within a year."))
    parts, total = _clean_breakdown(claim, breakdown)
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if locked.status not in OFFER_MAY_BE_MADE:
            raise ClaimError(
                _(
                    "An offer can be made only while the claim is under review, or after the "
                    "patient has answered the last offer. This claim is “%(status)s”."
                )
                % {"status": ClaimStatus(locked.status).label}
            )
        last_round = Offer.objects.filter(claim=locked).aggregate(last=Max("round"))["last"]
        # The row first, then the move: whatever the move announces finds the offer in place.
        offer = Offer.objects.create(
            claim=locked,
            round=(last_round or 0) + 1,
            made_by=adjuster,
            amount=total,
            breakdown=parts,
            terms=terms.strip(),
            respond_by=respond_by,
        )
        claim_transition(claim=locked, to_status=S.OFFER_MADE, actor=adjuster)
    claim.status = locked.status
    return offer


def offer_accept_counter(*, offer: Offer, adjuster: User) -> Settlement:
    """The insurer accepts the patient's counter-proposal on the latest round: the claim is
    settled at the amount the patient proposed."""
    claim = offer.claim
    if not claim_access.claim_may_work(adjuster, claim):
        claim_change_refuse(user=adjuster, claim=claim)
    with transaction.atomic():
        locked_claim = Claim.objects.select_for_update().get(pk=claim.pk)
        locked = Offer.objects.select_for_update().get(pk=offer.pk)
        latest = Offer.objects.filter(claim=locked_claim).aggregate(last=Max("round"))["last"]
        if (
            locked_claim.status != S.COUNTER_PROPOSED
            or locked.state != OfferState.COUNTERED
            or locked.round != latest
        ):
            raise ClaimError(_("There is no counter-proposal waiting for your answer."))
        settlement = _settle(locked_claim, locked, amount=locked.counter_amount, agreed_by=adjuster)
    _refresh(offer, locked, claim, locked_claim)
    return settlement


# --- The patient's answer -----------------------------------------------------------------------


def offer_check_may_answer(*, user: User, claim: Claim) -> None:
    """Refuse (403, audited) anyone who may see the claim but not bind the patient: an advocate
    whose authority does not include answering offers, or the insurer's staff."""
    if not claim_access.claim_may_answer_for_patient(user, claim):
        forbid(
            user=user,
            object_type="intake.claim",
            object_id=claim.pk,
            reason="answer offer",
            message=_(
                "Only the patient, or an advocate they allow to answer offers, can answer an "
                "offer. The patient can change what you may do under “Your advocates”."
            ),
        )


def offer_is_open(offer: Offer, *, today: datetime.date | None = None) -> bool:
    """Whether `offer` still waits for an answer and its answer-by date has not passed."""
    return offer.state == OfferState.OPEN and offer.respond_by >= (today or timezone.localdate())


def _lock_open(offer: Offer, *, today: datetime.date) -> tuple[Claim, Offer]:
    """The claim and the offer locked, once the offer is checked to be the one waiting for an
    answer, with time left. The claim's lock is taken first, by every change to a claim, so two
    answers at once queue here and the second finds the offer answered."""
    locked_claim = Claim.objects.select_for_update().get(pk=offer.claim_id)
    locked = Offer.objects.select_for_update().get(pk=offer.pk)
    if locked.state != OfferState.OPEN or locked_claim.status != S.OFFER_MADE:
        raise ClaimError(
            _(
                "This offer has already been answered or has ended: the case page shows where "
                "the claim stands now."
            )
        )
    if locked.respond_by < today:
        raise ClaimError(
            _(
                "This offer ended on %(date)s, so it can no longer be answered. You can message "
                "your claims handler to ask for a new offer."
            )
            % {"date": date_format(locked.respond_by, "j F Y")}
        )
    return locked_claim, locked


def _answer(locked: Offer, *, user: User, state: str, reasons: str = "", counter=None) -> None:
    locked.state = state
    locked.answered_by = user
    locked.answered_at = timezone.now()
    locked.answer_reasons = reasons
    locked.counter_amount = counter
    locked.save(
        update_fields=["state", "answered_by", "answered_at", "answer_reasons", "counter_amount"]
    )


def _refresh(offer: Offer, locked: Offer, claim: Claim, locked_claim: Claim) -> None:
    # The caller's objects show the change, as claim_transition does for the claim it is given.
    for field in ("state", "answered_by_id", "answered_at", "answer_reasons", "counter_amount"):
        setattr(offer, field, getattr(locked, field))
    claim.status = locked_claim.status


def offer_accept(*, offer: Offer, user: User) -> Settlement:
    """The patient (or an advocate allowed to) accepts the open offer: the claim is settled at the
    offer's amount, in full and final settlement. Raises Refused, ClaimError."""
    offer_check_may_answer(user=user, claim=offer.claim)
    with transaction.atomic():
        locked_claim, locked = _lock_open(offer, today=timezone.localdate())
        _answer(locked, user=user, state=OfferState.ACCEPTED)
        settlement = _settle(locked_claim, locked, amount=locked.amount, agreed_by=user)
    _refresh(offer, locked, offer.claim, locked_claim)
    return settlement


def _settle(claim: Claim, offer: Offer, *, amount, agreed_by: User) -> Settlement:
    """Settle the locked `claim` at `amount`. A claim has one agreement: one settled before and
    reconsidered after a review has it revised to the new terms, and what was already paid under
    it counts, so a claim already paid that much closes at once."""
    settlement, _created = Settlement.objects.update_or_create(
        claim=claim,
        defaults={
            "offer": offer,
            "amount": amount,
            "agreed_by": agreed_by,
            "agreed_at": timezone.now(),
        },
    )
    claim_transition(claim=claim, to_status=S.SETTLED, actor=agreed_by)
    if payments.settlement_paid(settlement=settlement) >= amount:
        claim_transition(claim=claim, to_status=S.CLOSED, actor=None, reason=payments.PAID_IN_FULL)
    return settlement


def _reasons(reasons: str, *, missing: str) -> str:
    reasons = (reasons or "").strip()
    if not reasons:
        raise ClaimError(missing)
    return reasons


def offer_decline(*, offer: Offer, user: User, reasons: str) -> Offer:
    """Decline the open offer, saying why; the insurer considers the reasons."""
    offer_check_may_answer(user=user, claim=offer.claim)
    reasons = _reasons(reasons, missing=_("Say why you are declining the offer."))
    with transaction.atomic():
        locked_claim, locked = _lock_open(offer, today=timezone.localdate())
        _answer(locked, user=user, state=OfferState.DECLINED, reasons=reasons)
        claim_transition(claim=locked_claim, to_status=S.OFFER_DECLINED, actor=user)
    _refresh(offer, locked, offer.claim, locked_claim)
    return offer


def offer_counter(*, offer: Offer, user: User, amount: Decimal, reasons: str) -> Offer:
    """Answer the open offer with a counter-proposal: another amount, and why."""
    offer_check_may_answer(user=user, claim=offer.claim)
    amount = _amount(amount, what=_("the amount you propose"))
    if amount <= 0 or amount > AMOUNT_MAX:
        raise ClaimError(_("Propose an amount from £0.01 to £999,999,999.99."))
    reasons = _reasons(reasons, missing=_("Say why you propose this amount."))
    with transaction.atomic():
        locked_claim, locked = _lock_open(offer, today=timezone.localdate())
        if amount == locked.amount:
            raise ClaimError(
                _(
                    "You proposed the amount offered, %(amount)s. To take it, accept the offer; "
                    "otherwise propose a different amount."
                )
                % {"amount": pounds(locked.amount)}
            )
        _answer(locked, user=user, state=OfferState.COUNTERED, reasons=reasons, counter=amount)
        claim_transition(claim=locked_claim, to_status=S.COUNTER_PROPOSED, actor=user)
    _refresh(offer, locked, offer.claim, locked_claim)
    return offer


# --- Lapse and its warning (beat) ---------------------------------------------------------------


def offers_lapse_due(*, today: datetime.date | None = None) -> int:
    """Lapse every open offer whose answer-by date has passed (the portal makes the move), each in
    its own transaction; returns how many lapsed. A repeat finds them lapsed and does nothing."""
    today = today or timezone.localdate()
    due = Offer.objects.filter(state=OfferState.OPEN, respond_by__lt=today)
    lapsed = 0
    for offer_id in list(due.values_list("pk", flat=True)):
        try:
            lapsed += _lapse_one(offer_id, today=today)
        except ClaimError:
            # One claim the lifecycle refuses must not hold up the others; it is tried again.
            logger.exception("Offer %s could not lapse", offer_id)
    return lapsed


def _lapse_one(offer_id: int, *, today: datetime.date) -> bool:
    with transaction.atomic():
        claim_id = Offer.objects.values_list("claim_id", flat=True).get(pk=offer_id)
        locked_claim = Claim.objects.select_for_update().get(pk=claim_id)
        locked = Offer.objects.select_for_update().get(pk=offer_id)
        if locked.state != OfferState.OPEN or locked.respond_by >= today:
            return False  # answered meanwhile, or already lapsed by another sweep
        locked.state = OfferState.LAPSED
        locked.save(update_fields=["state"])
        if locked_claim.status == S.OFFER_MADE:
            claim_transition(claim=locked_claim, to_status=S.OFFER_LAPSED, actor=None)
        return True


def offers_warn_lapsing(*, today: datetime.date | None = None) -> int:
    """Tell the patient's side once per offer that it ends soon: from the jurisdiction's days of
    notice before its answer-by date; returns how many were warned."""
    today = today or timezone.localdate()
    candidates = Offer.objects.filter(
        state=OfferState.OPEN, lapse_warned_at__isnull=True, respond_by__gte=today
    ).select_related("claim__provider")
    profiles: dict[str, JurisdictionProfile] = {}
    warned = 0
    for offer in candidates:
        code = offer.claim.provider.jurisdiction if offer.claim.provider_id else ""
        if code not in profiles:
            profiles[code] = claim_jurisdiction_profile(offer.claim)
        notice = datetime.timedelta(days=profiles[code].days_notice_before_lapse)
        if today >= offer.respond_by - notice:
            warned += _warn_one(offer.pk)
    return warned


def _warn_one(offer_id: int) -> bool:
    with transaction.atomic():
        locked = Offer.objects.select_for_update().select_related("claim").get(pk=offer_id)
        if locked.state != OfferState.OPEN or locked.lapse_warned_at is not None:
            return False
        locked.lapse_warned_at = timezone.now()
        locked.save(update_fields=["lapse_warned_at"])
        notification_create_for_event(
            kind=EventKind.OFFER_LAPSING,
            event_key=f"offer-lapsing:{locked.pk}",
            claim=locked.claim,
            actor=None,
        )
        return True
