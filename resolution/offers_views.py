"""The offers pages: the patient's side answers an offer (accept after a confirmation, decline or
counter, each on a page of its own), the insurer's staff make offers and accept a
counter-proposal. Views parse, call a selector or a service, and redirect to the case page with
a message, or show the page again with what was typed and what is wrong."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from intake import access as claim_access
from intake.models import ClaimStatus
from intake.selectors import claim_get_for_user
from intake.services import ClaimError
from resolution import offers
from resolution import offers_selectors as selectors
from resolution.models import Offer
from resolution.money import amount_in_words, pounds
from resolution.offers_forms import AcceptForm, CounterForm, DeclineForm, OfferForm
from triage.views import staff_only


def _posted(request: HttpRequest):
    """The POST data to bind a form to, even when empty (an unticked box sends nothing)."""
    return request.POST if request.method == "POST" else None


# --- The patient's side -------------------------------------------------------------------------


def _back_to_claim(request: HttpRequest, offer: Offer) -> HttpResponse | None:
    """The case page with a message, when the offer may no longer be answered; else None."""
    if offer.claim.status == ClaimStatus.OFFER_MADE and offers.offer_is_open(offer):
        return None
    messages.error(
        request,
        _("This offer can no longer be answered: the case page shows where the claim stands."),
    )
    return redirect("intake:claim_detail", claim_id=offer.claim_id)


@login_required
@require_http_methods(["GET", "POST"])
def offer_accept(request: HttpRequest, claim_id: uuid.UUID, round_number: int) -> HttpResponse:
    """The confirmation of what accepting gives up; its POST accepts."""
    offer = selectors.offer_get_for_answer(
        user=request.user, claim_id=claim_id, round_number=round_number
    )
    if closed := _back_to_claim(request, offer):
        return closed
    form = AcceptForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            settlement = offers.offer_accept(offer=offer, user=request.user)
        except ClaimError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _(
                    "You accepted the offer of %(amount)s: the claim is settled. The insurer "
                    "will pay what was agreed."
                )
                % {"amount": pounds(settlement.amount)},
            )
        return redirect("intake:claim_detail", claim_id=offer.claim_id)
    context = {
        "claim": offer.claim,
        "offer": offer,
        "offer_as_list": [offer],
        "amount_in_words": amount_in_words(offer.amount),
        "form": form,
    }
    return render(request, "resolution/offer_accept.html", context)


def _answer_page(request: HttpRequest, offer: Offer, form, **words) -> HttpResponse:
    context = {"claim": offer.claim, "offer": offer, "offer_as_list": [offer], "form": form}
    return render(request, "resolution/offer_answer.html", {**context, **words})


@login_required
@require_http_methods(["GET", "POST"])
def offer_decline(request: HttpRequest, claim_id: uuid.UUID, round_number: int) -> HttpResponse:
    offer = selectors.offer_get_for_answer(
        user=request.user, claim_id=claim_id, round_number=round_number
    )
    if closed := _back_to_claim(request, offer):
        return closed
    form = DeclineForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            offers.offer_decline(offer=offer, user=request.user, **form.cleaned_data)
        except ClaimError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("You declined the offer. The insurer will consider your reasons.")
            )
            return redirect("intake:claim_detail", claim_id=offer.claim_id)
    return _answer_page(
        request,
        offer,
        form,
        title=_("Decline the offer"),
        explanation=_(
            "The insurer may make a revised offer or decide the claim. Declining does not end "
            "the claim."
        ),
        button=_("Decline the offer"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def offer_counter(request: HttpRequest, claim_id: uuid.UUID, round_number: int) -> HttpResponse:
    offer = selectors.offer_get_for_answer(
        user=request.user, claim_id=claim_id, round_number=round_number
    )
    if closed := _back_to_claim(request, offer):
        return closed
    form = CounterForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            offers.offer_counter(offer=offer, user=request.user, **form.cleaned_data)
        except ClaimError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Your counter-proposal has been sent. The insurer will answer you here."),
            )
            return redirect("intake:claim_detail", claim_id=offer.claim_id)
    return _answer_page(
        request,
        offer,
        form,
        title=_("Make a counter-proposal"),
        explanation=_(
            "Say what amount you would accept, and why. The insurer may accept it, make a "
            "revised offer or decide the claim."
        ),
        button=_("Send my counter-proposal"),
    )


# --- The insurer's side -------------------------------------------------------------------------


@staff_only(claim_access.claims_may_work)
@require_http_methods(["GET", "POST"])
def offer_make(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    """The offer form on a page of its own (the staff claim page has it too); its POST makes a
    first or revised offer."""
    claim = claim_get_for_user(user=request.user, claim_id=claim_id)
    rounds = selectors.offers_for_claim(claim=claim)
    form = OfferForm(
        _posted(request),
        claim=claim,
        respond_by=offers.offer_default_respond_by(claim),
        previous=rounds[-1] if rounds else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            offers.offer_make(
                claim=claim,
                adjuster=request.user,
                breakdown=form.breakdown(),
                terms=form.cleaned_data["terms"],
                respond_by=form.cleaned_data["respond_by"],
            )
        except ClaimError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your offer has been sent to the patient."))
            return redirect("triage:claim_work", claim_id=claim.pk)
    context = {
        "claim": claim,
        "form": form,
        "rounds": rounds,
        "side": "staff",
        "shows_reasons": True,
    }
    return render(request, "resolution/offer_make.html", context)


@require_POST
@staff_only(claim_access.claims_may_work)
def offer_accept_counter(
    request: HttpRequest, claim_id: uuid.UUID, round_number: int
) -> HttpResponse:
    offer = selectors.offer_get_for_user(
        user=request.user, claim_id=claim_id, round_number=round_number
    )
    try:
        settlement = offers.offer_accept_counter(offer=offer, adjuster=request.user)
    except ClaimError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("You accepted the counter-proposal: the claim is settled at %(amount)s.")
            % {"amount": pounds(settlement.amount)},
        )
    return redirect("triage:claim_work", claim_id=offer.claim_id)
