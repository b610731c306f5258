"""The case pages' part for reviews: the patient's side (`{% claim_review claim %}` on
intake/claim_detail.html) and the staff side (`{% staff_review claim %}` on triage/claim.html).

Each reads a fixed number of rows however many reviews or status changes the claim has: its
latest review, and for a claim with a reviewable decision its decision changes and its
jurisdiction profile."""

import datetime

from django import template
from django.utils import timezone

from documents.access import document_may_upload
from intake import access as claim_access
from intake.models import REVIEWABLE, Claim, ClaimStatus
from intake.selectors import claim_jurisdiction_profile
from resolution.models import Review
from resolution.reviews import review_may_decide, review_window, window_changes
from resolution.reviews_forms import ReviewDecideForm

register = template.Library()


def _latest_review(claim: Claim) -> Review | None:
    return (
        Review.objects.filter(claim=claim)
        .select_related("decided_by", "reviewer", "requested_by")
        .order_by("-requested_at", "-id")
        .first()
    )


def _deadline(claim: Claim) -> datetime.date | None:
    if claim.status not in REVIEWABLE:
        return None
    return review_window(
        status=claim.status,
        changes=window_changes(claim),
        profile=claim_jurisdiction_profile(claim),
    )


def _review_context(claim: Claim) -> dict:
    latest = _latest_review(claim)
    deadline = _deadline(claim)
    today = timezone.localdate()
    return {
        "claim": claim,
        "review": latest,
        "review_open": latest is not None and not latest.outcome,
        "deadline": deadline,
        "within_window": deadline is not None and today <= deadline,
        "window_over": deadline is not None and today > deadline,
        "decision_label": (
            ClaimStatus(latest.decision_status).label
            if latest and latest.decision_status in ClaimStatus.values
            else ""
        ),
    }


@register.inclusion_tag("resolution/patient_review.html", takes_context=True)
def claim_review(context, claim):
    user = context["request"].user
    return {
        **_review_context(claim),
        "request": context["request"],
        "may_ask": claim_access.claim_may_answer_for_patient(user, claim),
        # The reasons may describe the harm: shown to those who see the patient's answers.
        "shows_reasons": claim_access.claim_may_read_answers(user, claim),
        "may_upload": document_may_upload(user, claim),
    }


@register.inclusion_tag("resolution/staff_review.html", takes_context=True)
def staff_review(context, claim):
    user = context["request"].user
    found = _review_context(claim)
    review = found["review"]
    may_decide = found["review_open"] and review_may_decide(user, review, claim)
    return {
        **found,
        "request": context["request"],
        "user": user,
        "may_decide": may_decide,
        "user_decided": review is not None and review.decided_by_id == user.pk,
        "may_route": claim_access.claim_may_route(user, claim),
        "decide_form": context.get("review_decide_form") or ReviewDecideForm(),
    }
