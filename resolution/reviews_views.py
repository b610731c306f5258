"""The review pages: the patient's request (a page of its own, with the error summary), and the
reviewer's outcome, posted from the staff claim page. Views parse, call the services, redirect."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from documents.access import document_may_upload
from intake import access as claim_access
from intake import selectors as intake_selectors
from intake.models import Claim, ClaimStatus
from resolution import reviews
from resolution.models import Review, ReviewOutcome
from resolution.reviews_forms import ReviewDecideForm, ReviewRequestForm
from triage.views import staff_only


@login_required
@require_http_methods(["GET", "POST"])
def review_request_page(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    claim = intake_selectors.claim_get_for_user(user=request.user, claim_id=claim_id)
    reviews.review_request_check_access(user=request.user, claim=claim)
    form = ReviewRequestForm(request.POST or None)
    if request.method == "GET" and (problem := reviews.review_request_problem(claim)):
        messages.error(request, problem)
        return redirect("intake:claim_detail", claim_id=claim.pk)
    if request.method == "POST" and form.is_valid():
        try:
            review = reviews.review_request(
                claim=claim, user=request.user, reasons=form.cleaned_data["reasons"]
            )
        except reviews.ReviewError as error:
            form.add_error(None, str(error))  # the reasons stay in the form
        else:
            messages.success(request, _request_sent_message(review))
            return redirect(reverse("intake:claim_detail", args=[claim.pk]) + "#review-heading")
    return _render_request(request, claim, form)


def _request_sent_message(review: Review) -> str:
    return _(
        "Your request for a review has been sent. A different claims handler will look at the "
        "decision again and decide by %(date)s. You can send new documents from the documents "
        "section of your claim."
    ) % {"date": formats.date_format(review.decide_by, "j F Y")}


def _render_request(request: HttpRequest, claim: Claim, form: ReviewRequestForm) -> HttpResponse:
    context = {
        "claim": claim,
        "form": form,
        "deadline": reviews.review_deadline(claim),
        "decision": ClaimStatus(claim.status).label if claim.status else "",
        "may_upload": document_may_upload(request.user, claim),
    }
    status = 400 if form.errors else 200
    return render(request, "resolution/review_request.html", context, status=status)


@require_POST
@staff_only(claim_access.claims_may_work)
def review_decide_page(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    claim = intake_selectors.claim_get_for_user(user=request.user, claim_id=claim_id)
    review = reviews.review_open_for(claim)
    if review is None:
        messages.error(request, _("This claim has no review waiting for its outcome."))
        return redirect("triage:claim_work", claim_id=claim.pk)
    review.claim = claim
    reviews.review_decide_check_access(user=request.user, review=review, claim=claim)
    form = ReviewDecideForm(request.POST)
    if form.is_valid():
        try:
            reviews.review_decide(review=review, user=request.user, **form.cleaned_data)
        except reviews.ReviewError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _decided_message(form.cleaned_data["outcome"]))
            return redirect("triage:claim_work", claim_id=claim.pk)
    context = {"claim": claim, "review": review, "form": form, "today": timezone.localdate()}
    return render(request, "resolution/review_decide.html", context, status=400)


def _decided_message(outcome: str) -> str:
    if outcome == ReviewOutcome.UPHELD:
        return _("Review decided: the decision is upheld. The patient is told, with your reasons.")
    return _(
        "Review decided: the decision is changed and the claim is back under review. Make a new "
        "offer or a new decision when you are ready."
    )
