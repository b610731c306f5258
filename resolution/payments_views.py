"""The pages of settlement and payment: the patient gives their bank details; the insurer's
staff record payments, set the reserve and reveal the bank details to pay them. Each form's
page comes back with its errors and what was typed; valid input returns to the case page."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from intake import access as claim_access
from intake import selectors as intake_selectors
from intake.models import ClaimStatus
from intake.services import ClaimError
from resolution import payments, payments_selectors
from resolution.money import pounds
from resolution.payments_forms import BankDetailsForm, PaymentForm, ReserveForm
from triage.views import staff_only


def _add_error(form, error: ClaimError) -> None:
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, str(error))


# --- The patient's side -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def bank_details_give(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    claim = intake_selectors.claim_get_for_user(user=request.user, claim_id=claim_id)
    payments.bank_details_give_allowed(user=request.user, claim=claim)
    if refusal := payments.bank_details_give_refusal(claim=claim):
        messages.error(request, refusal)
        return redirect("intake:claim_detail", claim_id=claim.pk)
    form = BankDetailsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payments.bank_details_give(claim=claim, user=request.user, **form.cleaned_data)
        except ClaimError as error:
            _add_error(form, error)
        else:
            messages.success(
                request, _("Your bank details are saved. The insurer will pay into this account.")
            )
            return redirect("intake:claim_detail", claim_id=claim.pk)
    context = {
        "claim": claim,
        "form": form,
        "current": payments_selectors.bank_details_masked_for(claim=claim, user=request.user),
    }
    return render(request, "resolution/bank_details.html", context)


# --- The insurer's side -------------------------------------------------------------------------


@staff_only(claim_access.claims_may_work)
@require_http_methods(["GET", "POST"])
def payment_record(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    claim = intake_selectors.claim_get_for_user(user=request.user, claim_id=claim_id)
    settlement = payments_selectors.settlement_for_claim(claim=claim)
    if settlement is None:
        messages.error(request, _("Payments are recorded once a settlement has been agreed."))
        return redirect("triage:claim_work", claim_id=claim.pk)
    form = PaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payment = payments.payment_record(
                settlement=settlement, adjuster=request.user, **form.cleaned_data
            )
        except ClaimError as error:
            _add_error(form, error)
        else:
            done = _("Payment of %(amount)s recorded.") % {"amount": pounds(payment.amount)}
            # payment_record keeps the settlement's claim up to date with the move it made.
            if settlement.claim.status == ClaimStatus.CLOSED:
                done += " " + _("Everything agreed is now paid: the claim is closed.")
            messages.success(request, done)
            return redirect("triage:claim_work", claim_id=claim.pk)
    panel = payments_selectors.payments_panel_for_staff(user=request.user, claim=claim)
    return render(
        request, "resolution/payment_record.html", {"claim": claim, "panel": panel, "form": form}
    )


@staff_only(claim_access.claims_may_work)
@require_http_methods(["GET", "POST"])
def reserve_set(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    claim = intake_selectors.claim_get_for_user(user=request.user, claim_id=claim_id)
    form = ReserveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reserve = payments.reserve_set(claim=claim, adjuster=request.user, **form.cleaned_data)
        except ClaimError as error:
            _add_error(form, error)
        else:
            messages.success(
                request, _("Reserve set to %(amount)s.") % {"amount": pounds(reserve.amount)}
            )
            return redirect("triage:claim_work", claim_id=claim.pk)
    panel = payments_selectors.payments_panel_for_staff(user=request.user, claim=claim)
    return render(
        request, "resolution/payment_reserve.html", {"claim": claim, "panel": panel, "form": form}
    )


@never_cache
@require_POST
@staff_only(claim_access.claims_may_work)
def bank_details_reveal(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    """The bank details in clear, on a page of their own that no cache keeps; POST only, so a
    link, a prefetch or the browser's history cannot show them again unaudited."""
    claim = intake_selectors.claim_get_for_user(user=request.user, claim_id=claim_id)
    try:
        shown = payments.bank_details_reveal(claim=claim, user=request.user)
    except ClaimError as error:
        messages.error(request, str(error))
        return redirect("triage:claim_work", claim_id=claim.pk)
    return render(
        request, "resolution/bank_details_reveal.html", {"claim": claim, "details": shown}
    )
