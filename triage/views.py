"""The insurer's pages: the adjuster's queue, the staff claim page with its actions, and the
triage lead's workspace and routing rules. Views parse, call a selector or service, render."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from documents.views import documents_section_context
from intake import access as claim_access
from intake import selectors as intake_selectors
from intake import services as intake_services
from intake.advocates.forms import AuthorityDecisionForm
from intake.advocates.services import claim_authority_decide
from intake.forms import MessageForm
from intake.models import Claim, ClaimStatus
from portal.access import forbid
from portal.models import AuditAction
from portal.services import audit_event_record, audit_views_record
from triage import access, selectors, services
from triage.forms import (
    AssignForm,
    NoteForm,
    ReasonForm,
    RequestInformationForm,
    RoutingRuleForm,
)
from triage.labels import STAFF_LABELS
from triage.models import RoutingRule


def staff_only(may_open):
    """Only people `may_open` (an access rule) admits reach the view; anyone else is
    refused (403) and audited."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if not may_open(request.user):
                forbid(user=request.user, object_type="triage", reason="not staff")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _page_number(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("page", "1"))
    except ValueError:
        return 1


@staff_only(claim_access.claims_may_work)
def queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    search = request.GET.get("q", "")[:40]
    sort = request.GET.get("sort", "due")
    page = selectors.adjuster_queue(
        user=request.user, status=status, search=search, sort=sort, page=_page_number(request)
    )
    audit_views_record(actor=request.user, objects=page.claims, detail={"page": "queue"})
    context = {
        "page": page,
        "status": status,
        "search": search,
        "sort": sort,
        "statuses": ClaimStatus.choices[1:],
        "today": timezone.localdate(),
    }
    return render(request, "triage/queue.html", context)


@staff_only(claim_access.claims_may_work)
def claim_work(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    claim = intake_selectors.claim_get_for_user(
        user=request.user, claim_id=claim_id, record_view=False
    )
    return _claim_page(request, claim)


def _claim_page(request: HttpRequest, claim: Claim, **forms) -> HttpResponse:
    """The staff claim page, with `forms` bound where one came back with errors. Every render
    leaves a VIEW row saying the page showed who the claimant is (their name, birth date,
    contact details and NHS number), so the log can answer "who has seen this person's details"."""
    audit_event_record(
        action=AuditAction.VIEW,
        actor=request.user,
        obj=claim,
        detail={"page": "claim", "claimant_details": True},
    )
    return render(request, "triage/claim.html", _claim_context(request, claim, **forms))


def _claim_context(request: HttpRequest, claim, **forms) -> dict:
    user = request.user
    return {
        "claim": claim,
        "labels": STAFF_LABELS,
        "timeline": intake_selectors.claim_timeline(claim=claim),
        "thread": intake_selectors.claim_messages(claim=claim),
        "notes": selectors.claim_notes(user=user, claim=claim),
        "decisions": selectors.claim_routing_decisions(user=user, claim=claim),
        "may_work": claim_access.claim_may_work(user, claim),
        "may_route": claim_access.claim_may_route(user, claim),
        "message_form": forms.get("message_form") or MessageForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "request_form": forms.get("request_form") or RequestInformationForm(),
        "reason_form": forms.get("reason_form") or ReasonForm(),
        "authority_form": forms.get("authority_form") or AuthorityDecisionForm(),
        "may_verify_authority": claim_access.claim_may_verify_authority(user, claim),
        "losses": intake_selectors.claim_losses_for_display(claim=claim),
        "S": ClaimStatus,
        **documents_section_context(user=user, claim=claim),
    }


# Simple moves: the status each button leads to.
SIMPLE_ACTIONS = {
    "acknowledge": ClaimStatus.UNDER_REVIEW,
    "deny": ClaimStatus.DENIED,
    "close": ClaimStatus.CLOSED,
    "reopen": ClaimStatus.UNDER_REVIEW,
}
DONE_MESSAGES = {
    "acknowledge": gettext_lazy("Claim acknowledged: it is now under review."),
    "deny": gettext_lazy("Claim denied. The patient sees your reason."),
    "close": gettext_lazy("Claim closed."),
    "reopen": gettext_lazy("Claim reopened for review."),
}


@require_POST
@staff_only(claim_access.claims_may_work)
def claim_action(request: HttpRequest, claim_id: uuid.UUID, action: str) -> HttpResponse:
    claim = intake_selectors.claim_get_for_user(user=request.user, claim_id=claim_id)
    if action not in SIMPLE_ACTIONS:
        return redirect("triage:claim_work", claim_id=claim.pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _claim_page(request, claim, reason_form=form)
    try:
        intake_services.claim_transition(
            claim=claim,
            to_status=SIMPLE_ACTIONS[action],
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except intake_services.ClaimError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, str(DONE_MESSAGES[action]))
    return redirect("triage:claim_work", claim_id=claim.pk)


@dataclass(frozen=True)
class StaffClaimForm:
    """One form on the staff claim page: what it is called in the page's context, and what its
    valid input does (`act(request, claim, cleaned_data)`, a service call)."""

    form_class: type[forms.Form]
    form_name: str
    act: Callable[[HttpRequest, Claim, dict], object]
    done: Promise


STAFF_CLAIM_FORMS = {
    "request_information": StaffClaimForm(
        RequestInformationForm,
        "request_form",
        lambda request, claim, data: services.claim_request_information(
            claim=claim, adjuster=request.user, **data
        ),
        gettext_lazy("Your request has been sent to the patient."),
    ),
    "message": StaffClaimForm(
        MessageForm,
        "message_form",
        lambda request, claim, data: intake_services.claim_message_send(
            claim=claim, author=request.user, body=data["body"]
        ),
        gettext_lazy("Message sent."),
    ),
    # The check of the authority form of a claim an advocate filed.
    "authority": StaffClaimForm(
        AuthorityDecisionForm,
        "authority_form",
        lambda request, claim, data: claim_authority_decide(
            claim=claim,
            user=request.user,
            verified=data["decision"] == "verify",
            reason=data["reason"],
        ),
        gettext_lazy("Your check of the authority has been recorded."),
    ),
    "note": StaffClaimForm(
        NoteForm,
        "note_form",
        lambda request, claim, data: services.claim_note_add(
            claim=claim, author=request.user, body=data["body"]
        ),
        gettext_lazy("Note added."),
    ),
}


@require_POST
@staff_only(claim_access.claims_may_work)
def claim_form_post(request: HttpRequest, claim_id: uuid.UUID, form: str) -> HttpResponse:
    """Every form on the staff claim page but the status buttons: valid input goes to the
    form's service call; a ClaimError becomes the form's error; the page comes back with it."""
    staff_form = STAFF_CLAIM_FORMS[form]
    claim = intake_selectors.claim_get_for_user(user=request.user, claim_id=claim_id)
    bound = staff_form.form_class(request.POST)
    if bound.is_valid():
        try:
            staff_form.act(request, claim, bound.cleaned_data)
        except intake_services.ClaimError as error:
            bound.add_error(None, str(error))
        else:
            messages.success(request, str(staff_form.done))
            return redirect("triage:claim_work", claim_id=claim.pk)
    return _claim_page(request, claim, **{staff_form.form_name: bound})


# --- The triage lead ----------------------------------------------------------------------------


@staff_only(access.triage_may_lead)
def lead_workspace(request: HttpRequest) -> HttpResponse:
    lead = request.user
    lists = {
        "needs_triage": list(selectors.needs_triage_claims(lead=lead)),
        "team_queue": list(selectors.team_queue_claims(lead=lead)),
        "overdue": list(selectors.overdue_claims(lead=lead, today=timezone.localdate())),
    }
    # One VIEW row per claim the page shows, however many lists it is in, in one insert.
    shown = {claim.pk: claim for claims in lists.values() for claim in claims}
    audit_views_record(actor=lead, objects=list(shown.values()), detail={"page": "workspace"})
    workload = list(selectors.adjuster_workload(lead=lead))
    context = {
        **lists,
        "counts": selectors.workspace_counts(lead=lead, today=timezone.localdate()),
        "teams": selectors.teams_with_unassigned(lead=lead),
        "workload": workload,
        "on_leave": [person for person in workload if _on_leave(person)],
    }
    return render(request, "triage/lead_workspace.html", context)


def _on_leave(adjuster) -> bool:
    profile = getattr(adjuster, "adjuster_profile", None)  # None: no profile yet
    return bool(profile and profile.on_leave)


@staff_only(access.triage_may_lead)
def claim_assign(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    claim = intake_selectors.claim_get_for_user(user=request.user, claim_id=claim_id)
    form = AssignForm(request.POST or None, lead=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_assign(claim=claim, lead=request.user, **form.cleaned_data)
        except intake_services.ClaimError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Claim assigned."))
            return redirect("triage:claim_work", claim_id=claim.pk)
    return render(request, "triage/assign.html", {"claim": claim, "form": form})


@require_POST
@staff_only(access.triage_may_lead)
def adjuster_leave(request: HttpRequest, adjuster_id: int) -> HttpResponse:
    adjuster = selectors.adjuster_get_for_lead(lead=request.user, adjuster_id=adjuster_id)
    on_leave = request.POST.get("on_leave") == "yes"
    moved = services.adjuster_set_leave(lead=request.user, adjuster=adjuster, on_leave=on_leave)
    if on_leave:
        messages.success(
            request,
            _("%(name)s is on leave; %(count)d open claims went to colleagues.")
            % {"name": adjuster.get_full_name(), "count": moved},
        )
    else:
        messages.success(request, _("%(name)s is back.") % {"name": adjuster.get_full_name()})
    return redirect("triage:lead_workspace")


@staff_only(access.triage_may_lead)
def rules(request: HttpRequest) -> HttpResponse:
    context = {
        "rules": selectors.routing_rules_for(lead=request.user),
        "changes": selectors.routing_rule_changes_for(lead=request.user),
    }
    return render(request, "triage/rules.html", context)


@staff_only(access.triage_may_lead)
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    lead = request.user
    rule = (
        selectors.routing_rule_get_for_lead(lead=lead, rule_id=rule_id)
        if rule_id
        else RoutingRule(insurer=lead.insurer)
    )
    form = RoutingRuleForm(request.POST or None, instance=rule, insurer=lead.insurer)
    if request.method == "POST" and form.is_valid():
        services.routing_rule_save(rule=form.save(commit=False), actor=lead)
        messages.success(request, _("Routing rule saved."))
        return redirect("triage:rules")
    return render(request, "triage/rule_form.html", {"form": form, "rule": rule})
