"""The account's privacy pages: deleting one's own account (a confirmation page) and correcting
one's contact details. Views parse, call the services in privacy/erasure.py, and render."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from intake.models import Claim, ClaimStatus
from portal.models import AuditAction
from portal.services import audit_event_record
from privacy import erasure
from privacy.holds import PrivacyError
from privacy.retention_forms import AccountDeleteForm, ContactCorrectForm


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    """Explain what goes, and delete once confirmed; or explain why it cannot be deleted."""
    user = request.user
    refusal = erasure.account_erasure_refusal(user)
    form = AccountDeleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            erasure.account_erase(user=user)
        except PrivacyError as error:
            form.add_error(None, str(error))
        else:
            logout(request)
            return render(request, "privacy/account_deleted.html")
    drafts = Claim.objects.filter(claimant=user, status=ClaimStatus.DRAFT).count()
    context = {"form": form, "refusal": refusal, "drafts": drafts}
    status = 400 if form.errors else (409 if refusal and request.method == "POST" else 200)
    return render(request, "privacy/account_delete.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def contact_correct(request: HttpRequest) -> HttpResponse:
    """The patient's contact details on their submitted claims, and the history of changes."""
    user = request.user
    if not erasure.contact_may_correct(user):
        messages.info(
            request,
            _(
                "You can correct your contact details here once you have sent a claim. Until "
                "then, change them in your unfinished claim."
            ),
        )
        return redirect("dashboard")
    form = ContactCorrectForm(
        request.POST if request.method == "POST" else None,
        initial=erasure.contact_details_current(user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            corrections = erasure.contact_correct(user=user, **form.cleaned_data)
        except PrivacyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _(
                    "Your contact details are corrected on %(count)d claim(s). Your claims "
                    "handler has been told."
                )
                % {"count": len(corrections)},
            )
            return redirect("privacy:contact_correct")
    # The page shows the patient's own details and their past values.
    audit_event_record(
        action=AuditAction.VIEW, actor=user, obj=user, detail={"page": "contact details"}
    )
    context = {"form": form, "corrections": erasure.contact_corrections_of(user)}
    return render(
        request, "privacy/contact_correct.html", context, status=400 if form.errors else 200
    )
