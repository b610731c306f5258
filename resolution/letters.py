"""The letters a claim's moves produce, drawn as accessible PDFs.

Each letter is a Django template, templates/resolution/letters/<kind>.html, extending one base
with the letterhead and the print styles inline. WeasyPrint draws it as tagged PDF/UA-1: the
language (`<html lang="en-GB">`), the title shown in the reader's title bar, and a structure tree
of real headings, paragraphs and tables that screen readers follow. Nothing is fetched while
drawing: the fetcher refuses every URL but inline `data:` ones, so a letter never reaches the
network or the disk.

Drawing takes tens of milliseconds of CPU, so it happens only in a worker (resolution.
letters_tasks), never in a request. What a letter says is read from the rows its move made, as
they stood when the claim next moved, so the letter of a move is the same whenever it is drawn.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from documents.models import LetterKind
from intake.models import ClaimStatus, ClaimStatusChange, InformationRequest
from intake.selectors import claim_jurisdiction_profile
from portal.models import Role
from resolution.models import HeadOfLoss, Offer, Review, ReviewOutcome, Settlement
from resolution.money import amount_in_words, pounds
from resolution.reviews import review_deadline, review_window

LANGUAGE = "en-gb"
S = ClaimStatus

#: The words of a letter's kind in its title and its file name ("Offer letter 2026-12-01.pdf"):
#: never anything about the claim itself.
FILE_NAMES = {
    LetterKind.ACKNOWLEDGEMENT: "Acknowledgement letter",
    LetterKind.INFORMATION_REQUEST: "Information request letter",
    LetterKind.OFFER: "Offer letter",
    LetterKind.DECISION: "Decision letter",
    LetterKind.SETTLEMENT: "Settlement letter",
    LetterKind.REVIEW_OUTCOME: "Review outcome letter",
}


class LetterError(Exception):
    """A letter could not be drawn; the message names no detail of the claim."""


class LetterNotReady(LetterError):
    """A row the letter reports on is not there (yet): the move's transaction made the change
    but not, or not yet visibly, the offer, settlement, request or review it is about."""


@dataclass(frozen=True)
class Letter:
    kind: str
    title: str
    file_name: str
    pdf: bytes


def letter_kind_for_move(from_status: str, to_status: str) -> str | None:
    """The letter a move of the lifecycle calls for, or None. A review's outcome is its own
    letter, whatever the claim returns to."""
    if from_status == S.REVIEW_REQUESTED:
        return LetterKind.REVIEW_OUTCOME
    if (from_status, to_status) == (S.ASSIGNED, S.UNDER_REVIEW):
        return LetterKind.ACKNOWLEDGEMENT
    return {
        S.INFORMATION_REQUESTED: LetterKind.INFORMATION_REQUEST,
        S.OFFER_MADE: LetterKind.OFFER,
        S.DENIED: LetterKind.DECISION,
        S.SETTLED: LetterKind.SETTLEMENT,
    }.get(to_status)


def letter_render(*, change: ClaimStatusChange, kind: str) -> Letter:
    """Draw the `kind` letter of the move `change` (its claim's rows as they stood when the claim
    next moved). Raises LetterNotReady when a row it reports on is missing."""
    # Imported here, not above: WeasyPrint stays out of the web processes, which record that a
    # letter is owed (letter_kind_for_move) but never draw one (see letters_pdf).
    from resolution.letters_pdf import PdfError, pdf_from_html

    context = letter_context(change=change, kind=kind)
    with translation.override(LANGUAGE):
        html = render_to_string(f"resolution/letters/{kind}.html", context)
    try:
        pdf = pdf_from_html(html)
    except PdfError as error:
        raise LetterError(str(error)) from None
    return Letter(
        kind=kind,
        title=context["title"],
        file_name=f"{FILE_NAMES[kind]} {context['letter_date']:%Y-%m-%d}.pdf",
        pdf=pdf,
    )


def letter_context(*, change: ClaimStatusChange, kind: str) -> dict:
    """What the letter's template shows: the letterhead's part, then its kind's own."""
    claim = change.claim
    letter_date = timezone.localdate(change.occurred_at)
    with translation.override(LANGUAGE):
        title = _("%(kind)s about claim %(reference)s") % {
            "kind": FILE_NAMES[kind],
            "reference": claim.reference,
        }
        context = {
            "title": title,
            "kind": kind,
            "reference": claim.reference,
            "letter_date": letter_date,
            "patient_name": claim.claimant.get_full_name(),
            "address_lines": [line.strip() for line in claim.address.splitlines() if line.strip()],
            "insurer_name": claim.insurer.name if claim.insurer_id else _("Your insurer"),
            "insurer_email": claim.insurer.contact_email if claim.insurer_id else "",
            "handler_name": _handler_name(change),
        }
        context.update(_KIND_CONTEXT[kind](change))
    return context


def _handler_name(change: ClaimStatusChange) -> str:
    """Who signs: the staff member who made the move, else the claim's adjuster."""
    claim = change.claim
    for person in (change.actor, claim.assigned_adjuster):
        if person is not None and person.role not in (Role.PATIENT, Role.ADVOCATE):
            return person.get_full_name()
    return ""


def _next_move_at(change: ClaimStatusChange) -> datetime.datetime | None:
    """When the claim moved after `change`, if it has: rows made later belong to a later letter."""
    return (
        ClaimStatusChange.objects.filter(claim_id=change.claim_id, pk__gt=change.pk)
        .order_by("pk")
        .values_list("occurred_at", flat=True)
        .first()
    )


def _acknowledgement(change: ClaimStatusChange) -> dict:
    claim = change.claim
    return {
        "submitted_on": timezone.localdate(claim.submitted_at) if claim.submitted_at else None,
        "decide_by": claim.decide_by,
    }


def _information_request(change: ClaimStatusChange) -> dict:
    requests = InformationRequest.objects.filter(claim_id=change.claim_id).select_related("message")
    if until := _next_move_at(change):
        requests = requests.filter(message__sent_at__lte=until)
    request = requests.order_by("-id").first()
    if request is None:
        raise LetterNotReady("The request for information is not recorded.")
    return {"request_text": request.message.body, "reply_by": request.due_date}


def _money(value) -> Decimal:
    try:
        return Decimal(str(value or "0"))
    except InvalidOperation:
        return Decimal("0")


def _head_label(head: str) -> str:
    return str(HeadOfLoss(head).label) if head in HeadOfLoss.values else head


def _offer(change: ClaimStatusChange) -> dict:
    offers = Offer.objects.filter(claim_id=change.claim_id)
    if until := _next_move_at(change):
        offers = offers.filter(made_at__lte=until)
    offer = offers.order_by("-round").first()
    if offer is None:
        raise LetterNotReady("The offer is not recorded.")
    rows = []
    for part in offer.breakdown:
        past, future = _money(part.get("past")), _money(part.get("future"))
        rows.append(
            {
                "head": _head_label(part.get("head", "")),
                "past": pounds(past),
                "future": pounds(future),
                "total": pounds(past + future),
            }
        )
    return {
        "offer_round": offer.round,
        "amount": pounds(offer.amount),
        "amount_words": amount_in_words(offer.amount),
        "breakdown": rows,
        "past_total": pounds(sum((_money(p.get("past")) for p in offer.breakdown), Decimal(0))),
        "future_total": pounds(sum((_money(p.get("future")) for p in offer.breakdown), Decimal(0))),
        "terms": offer.terms,
        "respond_by": offer.respond_by,
    }


def _review_by(change: ClaimStatusChange) -> datetime.date | None:
    """The last day to ask for a review of the decision this move made: the reviews' own answer
    while the claim still stands on it, else the same rule applied to this move alone."""
    claim = change.claim
    latest = ClaimStatusChange.objects.filter(claim_id=claim.pk).order_by("-pk").first()
    if latest is not None and latest.pk == change.pk:
        return review_deadline(claim)
    return review_window(
        status=change.to_status,
        changes=[change],
        reviews=[],
        profile=claim_jurisdiction_profile(claim),
    )


def _decision(change: ClaimStatusChange) -> dict:
    return {"reason": change.reason, "review_by": _review_by(change)}


def _settlement(change: ClaimStatusChange) -> dict:
    settlement = (
        Settlement.objects.filter(claim_id=change.claim_id).select_related("agreed_by").first()
    )
    if settlement is None:
        raise LetterNotReady("The settlement is not recorded.")
    return {
        "amount": pounds(settlement.amount),
        "amount_words": amount_in_words(settlement.amount),
        "agreed_by_name": settlement.agreed_by.get_full_name(),
        "agreed_on": timezone.localdate(settlement.agreed_at),
        "review_by": _review_by(change),
    }


def _review_outcome(change: ClaimStatusChange) -> dict:
    review = (
        Review.objects.filter(claim_id=change.claim_id, requested_at__lte=change.occurred_at)
        .order_by("-requested_at", "-id")
        .first()
    )
    if review is None:
        raise LetterNotReady("The review is not recorded.")
    outcome = review.outcome or (
        ReviewOutcome.CHANGED if change.to_status == S.UNDER_REVIEW else ReviewOutcome.UPHELD
    )
    return {
        "outcome": outcome,
        "outcome_label": ReviewOutcome(outcome).label,
        "outcome_reasons": review.outcome_reasons or change.reason,
        "requested_on": timezone.localdate(review.requested_at),
        "reconsidered": change.to_status == S.UNDER_REVIEW,
        "status_label": ClaimStatus(change.to_status).label,
    }


_KIND_CONTEXT = {
    LetterKind.ACKNOWLEDGEMENT: _acknowledgement,
    LetterKind.INFORMATION_REQUEST: _information_request,
    LetterKind.OFFER: _offer,
    LetterKind.DECISION: _decision,
    LetterKind.SETTLEMENT: _settlement,
    LetterKind.REVIEW_OUTCOME: _review_outcome,
}
