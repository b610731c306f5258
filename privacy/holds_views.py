"""Placing and lifting a legal hold from the staff claim page (triage leads; administrators use
the admin site). Both post here and go back to the claim page with a message, or re-render a
page of their own with the error summary."""

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from intake import access as claim_access
from intake import selectors as intake_selectors
from portal.access import forbid
from privacy import holds
from privacy.retention_forms import HoldLiftForm, HoldPlaceForm
from triage.views import staff_only


@require_http_methods(["GET", "POST"])
@staff_only(claim_access.claims_may_work)
def hold_place(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    claim = intake_selectors.claim_get_for_user(user=request.user, claim_id=claim_id)
    if not holds.holds_may_place(request.user, claim):
        forbid(
            user=request.user,
            object_type="intake.claim",
            object_id=claim.pk,
            reason="may not hold",
            message=_("Only a triage lead of the claim's insurer can place a legal hold."),
        )
    form = HoldPlaceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            holds.legal_hold_place(actor=request.user, claim=claim, **form.cleaned_data)
        except holds.PrivacyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("The claim is on legal hold: nothing on it will be deleted.")
            )
            return redirect("triage:claim_work", claim_id=claim.pk)
    context = {"claim": claim, "form": form}
    status = 400 if form.errors else 200
    return render(request, "privacy/hold_place.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_only(claim_access.claims_may_work)
def hold_lift(request: HttpRequest, hold_id: uuid.UUID) -> HttpResponse:
    hold = holds.hold_get_for_user(user=request.user, hold_id=hold_id)
    claim = intake_selectors.claim_get_for_user(user=request.user, claim_id=hold.claim_id)
    form = HoldLiftForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            holds.legal_hold_lift(
                actor=request.user, hold=hold, reason=form.cleaned_data["lift_reason"]
            )
        except holds.PrivacyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The legal hold is lifted."))
            return redirect("triage:claim_work", claim_id=claim.pk)
    context = {"claim": claim, "hold": hold, "form": form}
    status = 400 if form.errors else 200
    return render(request, "privacy/hold_lift.html", context, status=status)
