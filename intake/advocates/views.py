"""The advocates' pages: the patient's list of authorities (invite, change, end), the advocate's
acceptance of an invitation, filing a claim on a patient's behalf, and the advocate dashboard."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from intake import access, selectors
from intake.advocates import ratelimits
from intake.advocates import services as authorities
from intake.advocates.forms import (
    AdvocateClaimFilterForm,
    AuthorityInviteForm,
    AuthorityScopeForm,
    OnBehalfStartForm,
)
from intake.advocates.invitations import INVITATION_DAYS
from intake.models import ClaimStatus
from intake.patient_status import patient_status
from portal.access import forbid
from portal.models import User
from portal.services import audit_views_record

#: The most claims the advocate dashboard lists at once; filters narrow a longer list.
ADVOCATE_DASHBOARD_LIMIT = 200


def _patient_only(request: HttpRequest) -> None:
    if not access.authorities_may_manage(request.user):
        forbid(
            user=request.user,
            object_type="intake.authority",
            reason="not a patient",
            message=_("Only patients choose who may act for them."),
        )


# --- The patient's pages ------------------------------------------------------------------------


def _invite(request: HttpRequest, form: AuthorityInviteForm) -> bool:
    """Send the invitation the form describes; False (with the reason on the form) if refused."""
    try:
        authorities.authority_invite(
            patient=request.user,
            email=form.cleaned_data["email"],
            claim=form.chosen_claim(),
            scopes=form.scope_flags(),
            expires_on=form.cleaned_data["expires_on"],
        )
    except authorities.AuthorityError as error:
        form.add_error("email", str(error))
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def authority_list(request: HttpRequest) -> HttpResponse:
    """Who may act for the patient, with what scope and until when; and the invitation form."""
    _patient_only(request)
    claims = selectors.claim_list_for_patient(user=request.user).exclude(status=ClaimStatus.DRAFT)
    # Opened from a case page, the form starts on that claim.
    form = AuthorityInviteForm(
        request.POST or None, claims=claims, initial={"claim": request.GET.get("claim", "all")}
    )
    limited = False
    if request.method == "POST" and form.is_valid():
        limited = ratelimits.refused(
            request,
            form,
            action=ratelimits.AUTHORITY_INVITE,
            message=_(
                "You have sent as many invitations as the portal allows in %(wait)s. Send this "
                "one later: what you typed is kept below."
            ),
        )
        if not limited and _invite(request, form):
            messages.success(
                request,
                _("We have emailed your invitation to %(email)s. It works for %(days)d days.")
                % {"email": form.cleaned_data["email"], "days": INVITATION_DAYS},
            )
            return redirect("intake:authorities")
    return render(
        request,
        "intake/authorities.html",
        {
            "authorities": selectors.authority_list_for_patient(user=request.user),
            "form": form,
        },
        status=429 if limited else 400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def authority_change(request: HttpRequest, authority_id: uuid.UUID) -> HttpResponse:
    _patient_only(request)
    authority = selectors.authority_get_for_patient(user=request.user, authority_id=authority_id)
    form = AuthorityScopeForm(
        request.POST or None, initial=AuthorityScopeForm.initial_for(authority)
    )
    if request.method == "POST" and form.is_valid():
        try:
            authorities.authority_change(
                authority=authority,
                patient=request.user,
                scopes=form.scope_flags(),
                expires_on=form.cleaned_data["expires_on"],
            )
        except authorities.AuthorityError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The authority has been changed."))
        return redirect("intake:authorities")
    return render(request, "intake/authority_change.html", {"authority": authority, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def authority_end(request: HttpRequest, authority_id: uuid.UUID) -> HttpResponse:
    """Ending an authority (or withdrawing an invitation) cannot be undone: the page asks first,
    and only its own button, which says so, ends it."""
    _patient_only(request)
    authority = selectors.authority_get_for_patient(user=request.user, authority_id=authority_id)
    if request.method == "GET" or request.POST.get("confirm") != "end":
        return render(request, "intake/authority_end.html", {"authority": authority})
    authorities.authority_end(authority=authority, patient=request.user)
    if authority.accepted_at:
        messages.success(request, _("The authority has ended. They can no longer see your claim."))
    else:
        messages.success(request, _("The invitation has been withdrawn."))
    return redirect("intake:authorities")


# --- The advocate's pages -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def authority_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The page the invitation email links to: who invites, for what; accept once signed in as
    the advocate the invitation was sent to."""
    authority = selectors.authority_get_for_invitation(token=token)
    accepted_by_them = authority is not None and authority.advocate_id == request.user.pk
    if authority is None or not (authority.state() == "invited" or accepted_by_them):
        # Withdrawn, lapsed or used: a forwarded link shows nothing of the patient any more.
        return render(request, "intake/invitation_ended.html", status=404)
    if request.method == "POST" and request.user.is_authenticated:
        try:
            authorities.authority_accept(authority=authority, advocate=request.user)
        except authorities.AuthorityError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("You now act for %(name)s. Their claims are listed below.")
                % {"name": authority.patient.get_full_name()},
            )
            return redirect("dashboard")
    return render(
        request,
        "intake/invitation.html",
        {"authority": authority, "next": request.get_full_path()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def claim_start_on_behalf(request: HttpRequest) -> HttpResponse:
    """A verified advocate starts a claim for a patient. The answer is the same whether or not
    the address has an account (the dashboard, where a new patient's draft waits), so the form
    tells no one who is registered."""
    authorities.check_may_file_on_behalf(request.user)
    form = OnBehalfStartForm(request.POST or None)
    limited = False
    if request.method == "POST" and form.is_valid():
        limited = ratelimits.refused(
            request,
            form,
            action=ratelimits.FILE_ON_BEHALF,
            message=_(
                "You have started as many claims for patients as the portal allows in %(wait)s. "
                "Start this one later: what you typed is kept below."
            ),
        )
        if not limited:
            authorities.claim_start_on_behalf(
                advocate=request.user,
                full_name=form.cleaned_data["full_name"],
                email=form.cleaned_data["email"],
            )
            messages.success(
                request,
                _(
                    "We have emailed %(email)s. If the patient is new to the portal, their claim "
                    "is waiting for you under “Claims you are filing”. If they already have an "
                    "account, we have asked them to invite you from it, and their claims will "
                    "be listed here once they do."
                )
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("dashboard")
    return render(
        request,
        "intake/start_on_behalf.html",
        {"form": form},
        status=429 if limited else 400 if form.is_bound and form.errors else 200,
    )


def advocate_dashboard_context(request: HttpRequest) -> dict:
    """Every client's claim the advocate may see, filtered, with its status in the patient's
    words; drafts they are filing; and authorities that ended. Each listed claim is audited as
    viewed, since the list shows its status."""
    user: User = request.user
    form = AdvocateClaimFilterForm(
        request.GET or None, clients=selectors.advocate_clients(user=user)
    )
    filters = form.cleaned_data if form.is_valid() else {}
    claims = list(
        selectors.claim_list_for_advocate(
            user=user,
            status=filters.get("status", ""),
            client_id=filters.get("client", ""),
            reference=filters.get("reference", ""),
        )[:ADVOCATE_DASHBOARD_LIMIT]
    )
    audit_views_record(actor=user, objects=claims, detail={"page": "advocate dashboard"})
    return {
        "filter_form": form,
        "filtered": bool(filters and any(filters.values())),
        "claims": [(claim, patient_status(claim.status)) for claim in claims],
        "drafts": selectors.advocate_drafts(user=user),
        "ended": selectors.authorities_ended_for_advocate(user=user),
        "may_file": access.claims_may_file_on_behalf(user),
        "start_on_behalf_url": reverse("intake:claim_start_on_behalf"),
    }
