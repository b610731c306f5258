"""The patient's pages: start, question pages, duplicate warning, check answers, confirmation,
the case page and withdrawal. Views parse input, call a selector and a service, and render."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from intake import access, selectors, services
from intake.forms import MessageForm, WithdrawForm
from intake.limitation import limitation_is_near
from intake.models import Claim
from intake.patient_status import patient_status
from intake.steps import (
    STEPS,
    STEPS_BY_SLUG,
    Step,
    first_unfinished_step,
    missing_steps,
    step_after,
    step_before,
)
from portal.access import forbid


def _patient_required(request: HttpRequest) -> None:
    """Only patients file claims; anyone else is refused and audited."""
    if not access.claims_may_start(request.user):
        forbid(user=request.user, object_type="intake.claim", reason="not a patient")


def _own_draft(request: HttpRequest, claim_id: uuid.UUID) -> Claim | None:
    """The patient's draft, or None when it has been submitted (the caller sends them to the case
    page). Another person's claim, or a guessed id, is refused with 404 and audited."""
    return selectors.claim_draft_get_for_user(user=request.user, claim_id=claim_id)


def _already_submitted(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    messages.info(request, _("This claim has been submitted, so its answers can no longer change."))
    return redirect("intake:claim_detail", claim_id=claim_id)


@login_required
@require_http_methods(["GET", "POST"])
def claim_start(request: HttpRequest) -> HttpResponse:
    _patient_required(request)
    if request.method == "POST":
        claim = services.claim_draft_start(patient=request.user)
        return redirect("intake:claim_step", claim_id=claim.pk, slug=STEPS[0].slug)
    return render(request, "intake/start.html")


@login_required
@require_http_methods(["GET", "POST"])
def claim_step(request: HttpRequest, claim_id: uuid.UUID, slug: str) -> HttpResponse:
    step = STEPS_BY_SLUG.get(slug)
    if step is None:
        raise Http404
    claim = _own_draft(request, claim_id)
    if claim is None:
        return _already_submitted(request, claim_id)
    form = _step_form(step, claim, request)
    if request.method == "POST" and form.is_valid():
        changes = form.changes() if hasattr(form, "changes") else _model_changes(form)
        services.claim_draft_update(claim=claim, user=request.user, changes=changes)
        return _after_step(request, claim, step)
    return render(
        request,
        "intake/step.html",
        {
            "claim": claim,
            "step": step,
            "form": form,
            "step_number": STEPS.index(step) + 1,
            "step_count": len(STEPS),
            "previous_step": step_before(step),
        },
    )


def _step_form(step: Step, claim: Claim, request: HttpRequest):
    data = request.POST if request.method == "POST" else None
    kwargs = {}
    if step.slug == "losses":
        kwargs["claim"] = claim
    else:
        kwargs["instance"] = claim
    if step.slug == "provider":
        kwargs["query"] = request.GET.get("q", "")
    return step.form_class(data, **kwargs)


def _model_changes(form) -> dict:
    return {name: form.cleaned_data[name] for name in form.Meta.fields}


def _after_step(request: HttpRequest, claim: Claim, step: Step) -> HttpResponse:
    if "save_and_exit" in request.POST:
        messages.success(
            request, _("Your answers are saved. You can continue your claim from this page.")
        )
        return redirect("dashboard")
    if (
        step.slug in ("provider", "what-happened")
        and not claim.duplicate_acknowledged
        and selectors.claim_duplicates(claim=claim).exists()
    ):
        return redirect("intake:claim_duplicate", claim_id=claim.pk)
    return _next_page(claim, step)


def _next_page(claim: Claim, step: Step) -> HttpResponse:
    following = step_after(step)
    if following is None:
        return redirect("intake:claim_check", claim_id=claim.pk)
    return redirect("intake:claim_step", claim_id=claim.pk, slug=following.slug)


@login_required
def claim_resume(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    claim = _own_draft(request, claim_id)
    if claim is None:
        return _already_submitted(request, claim_id)
    if not missing_steps(claim):
        return redirect("intake:claim_check", claim_id=claim.pk)
    return redirect("intake:claim_step", claim_id=claim.pk, slug=first_unfinished_step(claim).slug)


@login_required
@require_http_methods(["GET", "POST"])
def claim_duplicate(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    claim = _own_draft(request, claim_id)
    if claim is None:
        return _already_submitted(request, claim_id)
    if request.method == "POST":
        services.claim_acknowledge_duplicate(claim=claim, user=request.user)
        return redirect("intake:claim_resume", claim_id=claim.pk)
    duplicates = selectors.claim_duplicates(claim=claim).select_related("provider")
    return render(request, "intake/duplicate.html", {"claim": claim, "duplicates": duplicates})


@login_required
@require_http_methods(["GET", "POST"])
def claim_check(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    claim = _own_draft(request, claim_id)
    if claim is None:
        return _already_submitted(request, claim_id)
    incomplete = missing_steps(claim)
    if request.method == "POST":
        try:
            services.claim_submit(claim=claim, user=request.user)
        except services.ClaimError as error:
            messages.error(request, str(error))
        else:
            return redirect("intake:claim_confirmation", claim_id=claim.pk)
    deadline = services.claim_limitation_deadline(claim=claim)
    context = {
        "claim": claim,
        "steps": STEPS,
        "incomplete": incomplete,
        "losses": selectors.claim_losses_for_display(claim=claim),
        "deadline": deadline,
        "deadline_near": deadline and limitation_is_near(deadline, today=timezone.localdate()),
        "deadline_passed": deadline and deadline < timezone.localdate(),
        "duplicates": selectors.claim_duplicates(claim=claim).exists(),
        **_authority_form_context(claim),
    }
    return render(request, "intake/check_answers.html", context)


def _authority_form_context(claim: Claim) -> dict:
    """A claim an advocate files carries the patient's signed authority form: the check-answers
    page lists what was sent (documents' claim_documents tag) and links to the upload page."""
    if not claim.filed_by_id:
        return {}
    return {"authority_form_needed": True}


@login_required
def claim_confirmation(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    claim = selectors.claim_get_for_user(user=request.user, claim_id=claim_id)
    if claim.is_draft or not access.claim_may_submit(request.user, claim):
        return redirect("intake:claim_detail", claim_id=claim.pk)
    return render(request, "intake/confirmation.html", {"claim": claim})


@login_required
def claim_detail(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    claim = selectors.claim_get_for_user(user=request.user, claim_id=claim_id)
    if claim.is_draft:
        return redirect("intake:claim_resume", claim_id=claim.pk)
    return render(request, "intake/claim_detail.html", _case_context(request, claim))


def _case_context(request: HttpRequest, claim: Claim, message_form=None) -> dict:
    kind = access.claim_actor_kind(request.user, claim)
    return {
        "claim": claim,
        "status": patient_status(claim.status),
        "timeline": [
            (change, patient_status(change.to_status))
            for change in selectors.claim_timeline(claim=claim)
        ],
        "losses": selectors.claim_losses_for_display(claim=claim),
        "is_claimant": kind == access.CLAIMANT,
        "acts_for_patient": kind == access.ADVOCATE,
        "patient_side": kind in (access.CLAIMANT, access.ADVOCATE),
        "advocates": selectors.advocates_acting_on(claim=claim) if kind == access.CLAIMANT else [],
        "shows_answers": access.claim_may_read_answers(request.user, claim),
        "shows_thread": access.claim_may_read_thread(request.user, claim),
        "thread": selectors.claim_messages(claim=claim),
        "open_request": selectors.claim_open_information_request(claim=claim),
        "may_message": access.claim_may_message(request.user, claim),
        "message_form": message_form or MessageForm(),
        # The Documents section fills itself in: documents' claim_documents template tag.
    }


@login_required
@require_http_methods(["POST"])
def claim_message(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    """A message from the patient's side; while information is requested, it is the answer."""
    claim = selectors.claim_get_for_user(user=request.user, claim_id=claim_id)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return render(request, "intake/claim_detail.html", _case_context(request, claim, form))
    answered = services.claim_reply(claim=claim, user=request.user, body=form.cleaned_data["body"])
    if answered:
        messages.success(request, _("Thank you. Your answer has been sent to your claims handler."))
    else:
        messages.success(request, _("Your message has been sent."))
    return redirect("intake:claim_detail", claim_id=claim.pk)


@login_required
@require_http_methods(["GET", "POST"])
def claim_withdraw(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    claim = selectors.claim_get_for_user(user=request.user, claim_id=claim_id)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_withdraw(
                claim=claim, user=request.user, reason=form.cleaned_data["reason"]
            )
        except services.ClaimError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Your claim has been withdrawn."))
        return redirect("intake:claim_detail", claim_id=claim.pk)
    if not claim.can_be_withdrawn or claim.claimant_id != request.user.pk:
        messages.error(request, _("This claim can no longer be withdrawn."))
        return redirect("intake:claim_detail", claim_id=claim.pk)
    return render(request, "intake/withdraw.html", {"claim": claim, "form": form})
