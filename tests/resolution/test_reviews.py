"""Reviews of a decision (resolution/reviews.py and its pages): asked for by the patient's side
within the jurisdiction's window, given to an adjuster other than the one who decided, decided
upheld or changed with the claim's move, once per decision."""

import datetime
import html

import pytest
from django.db import IntegrityError, transaction
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from intake.models import Claim, ClaimStatus, ClaimStatusChange
from intake.services import ClaimError, claim_transition
from notifications.models import Notification
from portal.errors import Refused
from portal.models import AuditAction, AuditEvent, JurisdictionProfile
from resolution.models import Review, ReviewOutcome
from resolution.reviews import (
    ReviewError,
    review_deadline,
    review_decide,
    review_request,
)
from tests.factories import (
    AdjusterFactory,
    AdjusterProfileFactory,
    ClaimFactory,
    CoverageFactory,
    TeamFactory,
    TriageLeadFactory,
    UserFactory,
    authority_for,
)
from tests.portal.test_selectors import _signed_in
from tests.queries import queries_during
from triage.models import ConflictOfInterest, RoutingDecision

pytestmark = pytest.mark.django_db

S = ClaimStatus
DECIDED_ON = datetime.date(2026, 1, 31)
#: One month after the 31st of January is the last day of February.
EW_LAST_DAY = datetime.date(2026, 2, 28)
REASONS = "The surgeon's own notes say the wrong knee was marked."


class Insurer:
    """An insurer with a team of two adjusters (the one who decides and a colleague), a lead,
    and a patient's claim about a provider it covers, under review with the first adjuster."""

    def __init__(self, jurisdiction: str = "england-wales"):
        coverage = CoverageFactory(provider__jurisdiction=jurisdiction)
        self.insurer, self.provider = coverage.insurer, coverage.provider
        self.team = TeamFactory(insurer=self.insurer)
        self.decider = self.adjuster("Dana Decider")
        self.colleague = self.adjuster("Rowan Reviewer")
        self.lead = TriageLeadFactory(insurer=self.insurer, full_name="Lee Lead")
        self.patient = UserFactory()

    def adjuster(self, name: str, *, in_team: bool = True, **profile) -> object:
        user = AdjusterFactory(insurer=self.insurer, full_name=name)
        AdjusterProfileFactory(user=user, **{"capacity": 10, **profile})
        if in_team:
            self.team.members.add(user)
        return user

    def claim(self, status: str = S.UNDER_REVIEW, adjuster=None) -> Claim:
        return ClaimFactory(
            claimant=self.patient,
            status=status,
            insurer=self.insurer,
            provider=self.provider,
            team=self.team,
            assigned_adjuster=adjuster or self.decider,
        )

    def denied(self, *, on: datetime.date = DECIDED_ON, by=None) -> Claim:
        claim = self.claim()
        claim_transition(
            claim=claim, to_status=S.DENIED, actor=by or self.decider, reason="No breach of duty."
        )
        _dated(claim, S.DENIED, on)
        return claim

    def settled(self, *, on: datetime.date = DECIDED_ON) -> Claim:
        # The patient accepts the adjuster's offer: the settlement is the adjuster's decision.
        claim = self.claim(S.OFFER_MADE)
        claim_transition(claim=claim, to_status=S.SETTLED, actor=self.patient)
        _dated(claim, S.SETTLED, on)
        return claim

    def open_claims(self, adjuster, count: int) -> None:
        for _ in range(count):
            self.claim(S.UNDER_REVIEW, adjuster=adjuster)


def _dated(claim: Claim, to_status: str, on: datetime.date) -> None:
    """Date the claim's latest move into `to_status` at noon on `on`."""
    change = ClaimStatusChange.objects.filter(claim=claim, to_status=to_status).last()
    noon = timezone.make_aware(datetime.datetime.combine(on, datetime.time(12)))
    ClaimStatusChange.objects.filter(pk=change.pk).update(occurred_at=noon)


def _yesterday() -> datetime.date:
    # Decisions on the pages' tests are dated before the test runs, as real ones are.
    return timezone.localdate() - datetime.timedelta(days=1)


def _stored(claim: Claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


def _refusals(user) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=user))


def _requested(world: Insurer, claim: Claim, *, today=EW_LAST_DAY, user=None) -> Review:
    return review_request(claim=claim, user=user or world.patient, reasons=REASONS, today=today)


@pytest.fixture
def world() -> Insurer:
    return Insurer()


# --- review_deadline ----------------------------------------------------------------------------


def test_review_deadline_is_one_month_after_the_refusal_in_england_and_wales(world):
    claim = world.denied(on=DECIDED_ON)

    assert review_deadline(claim) == EW_LAST_DAY


def test_review_deadline_follows_the_providers_jurisdiction_profile():
    JurisdictionProfile.objects.update_or_create(
        code="sweden-like", defaults={"name": "Sweden-like", "months_to_ask_for_review": 6}
    )
    claim = Insurer(jurisdiction="sweden-like").denied(on=DECIDED_ON)

    assert review_deadline(claim) == datetime.date(2026, 7, 31)


def test_review_deadline_of_a_closed_claim_counts_from_the_refusal_before_it(world):
    claim = world.denied(on=DECIDED_ON)
    claim_transition(claim=claim, to_status=S.CLOSED, actor=world.decider)
    _dated(claim, S.CLOSED, datetime.date(2026, 2, 20))

    assert review_deadline(_stored(claim)) == EW_LAST_DAY


@pytest.mark.parametrize("status", [S.UNDER_REVIEW, S.OFFER_MADE, S.WITHDRAWN])
def test_review_deadline_is_none_without_a_decision_to_review(world, status):
    assert review_deadline(world.claim(status)) is None


# --- Asking for a review ------------------------------------------------------------------------


def test_a_refusals_review_goes_to_another_adjuster_even_when_the_decider_is_less_loaded(world):
    claim = world.denied()
    world.open_claims(world.colleague, 3)  # the decider holds none

    review = _requested(world, claim, today=datetime.date(2026, 2, 10))

    assert review.reviewer == world.colleague
    assert review.decided_by == world.decider
    assert review.decision_status == S.DENIED
    assert review.reasons == REASONS
    assert review.requested_by == world.patient
    assert review.decide_by == datetime.date(2026, 3, 10)  # 28 days
    stored = _stored(claim)
    assert stored.status == S.REVIEW_REQUESTED
    assert stored.assigned_adjuster == world.colleague
    told = set(
        Notification.objects.filter(claim=claim, kind="review_requested").values_list(
            "recipient", flat=True
        )
    )
    assert told == {world.colleague.pk, world.lead.pk}
    decision = RoutingDecision.objects.get(claim=claim)
    assert decision.adjuster == world.colleague
    assert "made by D. Decider" in decision.reason


def test_the_reviewer_is_from_the_claims_team_first_and_never_on_leave_or_conflicted(world):
    claim = world.denied()
    outsider = world.adjuster("Otto Outside", in_team=False)
    world.open_claims(world.colleague, 5)  # busier than the outsider, yet in the team
    assert _requested(world, claim).reviewer == world.colleague

    on_leave, conflicted = world.denied(), world.denied()
    world.colleague.adjuster_profile.on_leave = True
    world.colleague.adjuster_profile.save()
    assert _requested(world, on_leave).reviewer == outsider

    world.colleague.adjuster_profile.on_leave = False
    world.colleague.adjuster_profile.save()
    ConflictOfInterest.objects.create(adjuster=world.colleague, provider=world.provider)
    assert _requested(world, conflicted).reviewer == outsider


def test_with_nobody_with_room_the_review_waits_for_a_lead_who_may_decide_it(world):
    claim = world.denied()
    world.colleague.adjuster_profile.capacity = 2
    world.colleague.adjuster_profile.save()
    world.open_claims(world.colleague, 2)

    review = _requested(world, claim)

    assert review.reviewer is None
    assert _stored(claim).assigned_adjuster is None  # not left with the decider
    assert Notification.objects.filter(
        claim=claim, kind="review_requested", recipient=world.lead
    ).exists()
    assert "waiting for a triage lead" in RoutingDecision.objects.get(claim=claim).reason

    review_decide(review=review, user=world.lead, outcome=ReviewOutcome.UPHELD, reasons="Right.")

    review.refresh_from_db()
    assert (review.outcome, review.reviewer) == (ReviewOutcome.UPHELD, world.lead)
    assert _stored(claim).status == S.DENIED


def test_a_review_is_refused_after_the_window_with_the_date_it_ended(world):
    claim = world.denied(on=DECIDED_ON)

    with pytest.raises(ReviewError, match="ended on 28 February 2026"):
        _requested(world, claim, today=datetime.date(2026, 3, 1))

    assert _stored(claim).status == S.DENIED
    assert _stored(claim).assigned_adjuster == world.decider
    assert not Review.objects.exists()
    # The last day itself is still in time.
    assert _requested(world, claim, today=EW_LAST_DAY).decision_status == S.DENIED


def test_a_review_needs_reasons(world):
    claim = world.denied()

    with pytest.raises(ReviewError, match="Say why"):
        review_request(claim=claim, user=world.patient, reasons="  \n ", today=EW_LAST_DAY)

    assert not Review.objects.exists()


def test_a_disputed_settlement_is_reviewed_and_upheld_back_to_settled(world):
    claim = world.settled()

    review = _requested(world, claim)

    assert review.decision_status == S.SETTLED
    # The patient accepted: the decision was the adjuster's the claim was with.
    assert review.decided_by == world.decider
    assert review.reviewer == world.colleague
    review_decide(
        review=review, user=world.colleague, outcome=ReviewOutcome.UPHELD, reasons="Fair sum."
    )
    assert _stored(claim).status == S.SETTLED


def test_a_closed_claim_is_reviewed_and_upheld_back_to_closed(world):
    claim = world.settled()
    claim_transition(claim=claim, to_status=S.CLOSED, actor=None)  # paid in full

    review = _requested(world, _stored(claim))

    assert review.decision_status == S.CLOSED
    review_decide(
        review=review, user=world.colleague, outcome=ReviewOutcome.UPHELD, reasons="Paid in full."
    )
    assert _stored(claim).status == S.CLOSED


def test_a_review_cannot_be_asked_for_without_a_decision(world):
    claim = world.claim(S.UNDER_REVIEW)

    with pytest.raises(ReviewError, match="no decision"):
        _requested(world, claim)


# --- Deciding a review --------------------------------------------------------------------------


def test_upheld_returns_the_claim_to_the_refusal_with_the_outcome_saved(world):
    claim = world.denied()
    review = _requested(world, claim)

    review_decide(
        review=review,
        user=world.colleague,
        outcome=ReviewOutcome.UPHELD,
        reasons="  The notes do not show a breach.  ",
    )

    review.refresh_from_db()
    assert review.outcome == ReviewOutcome.UPHELD
    assert review.outcome_reasons == "The notes do not show a breach."
    assert review.outcome_at is not None
    assert _stored(claim).status == S.DENIED
    last = ClaimStatusChange.objects.filter(claim=claim).last()
    assert (last.from_status, last.to_status, last.actor) == (
        S.REVIEW_REQUESTED,
        S.DENIED,
        world.colleague,
    )
    assert Notification.objects.filter(
        claim=claim, kind="review_decided", recipient=world.patient
    ).exists()


def test_changed_sends_the_claim_back_under_review_with_the_reviewer(world):
    claim = world.denied()
    review = _requested(world, claim)

    review_decide(
        review=review, user=world.colleague, outcome=ReviewOutcome.CHANGED, reasons="Reconsider."
    )

    stored = _stored(claim)
    assert stored.status == S.UNDER_REVIEW
    assert stored.assigned_adjuster == world.colleague
    assert Review.objects.get().outcome == ReviewOutcome.CHANGED


def test_the_adjuster_who_decided_cannot_decide_the_review(world):
    claim = world.denied()
    review = _requested(world, claim)

    with pytest.raises(Refused, match="You made the decision under review"):
        review_decide(review=review, user=world.decider, outcome="upheld", reasons="I was right.")

    assert [r.detail["reason"] for r in _refusals(world.decider)] == [
        "four eyes: decided the decision reviewed"
    ]
    assert _stored(claim).status == S.REVIEW_REQUESTED
    assert Review.objects.get().outcome == ""


def test_a_lead_who_made_the_refusal_is_refused_the_review_of_it(world):
    claim = world.denied(by=world.lead)
    review = _requested(world, claim)
    assert review.decided_by == world.lead

    with pytest.raises(Refused, match="You made the decision under review"):
        review_decide(review=review, user=world.lead, outcome="upheld", reasons="I was right.")

    [refusal] = _refusals(world.lead)
    assert refusal.detail["reason"] == "four eyes: decided the decision reviewed"
    assert _stored(claim).status == S.REVIEW_REQUESTED


def test_the_database_refuses_a_review_decided_by_its_decider(world):
    review = _requested(world, world.denied())

    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.filter(pk=review.pk).update(reviewer=world.decider)


def test_the_outcome_needs_reasons_and_a_known_outcome(world):
    review = _requested(world, world.denied())

    with pytest.raises(ReviewError, match="Give the reasons"):
        review_decide(review=review, user=world.colleague, outcome="upheld", reasons=" ")
    with pytest.raises(ReviewError, match="upheld or changed"):
        review_decide(review=review, user=world.colleague, outcome="maybe", reasons="Why")

    assert _stored(review.claim).status == S.REVIEW_REQUESTED


def test_a_review_is_left_only_by_its_outcome_not_by_the_staff_pages_other_buttons(world):
    claim = world.denied(by=world.lead)
    _requested(world, claim)

    with pytest.raises(ClaimError, match="Decide the review"):
        claim_transition(claim=claim, to_status=S.DENIED, actor=world.lead, reason="Still no.")

    response = _signed_in(world.lead).post(
        reverse("triage:claim_action", args=[claim.pk, "deny"]), {"reason": "Still no."}
    )
    assert response.status_code == 302
    assert _stored(claim).status == S.REVIEW_REQUESTED


# --- One review per decision --------------------------------------------------------------------


def test_an_upheld_decision_is_not_reviewed_twice(world):
    claim = world.denied()
    review = _requested(world, claim)
    review_decide(review=review, user=world.colleague, outcome="upheld", reasons="Right.")

    assert review_deadline(_stored(claim)) is None
    with pytest.raises(ReviewError, match="already been reviewed"):
        _requested(world, _stored(claim), today=datetime.date(2026, 2, 1))


def test_a_new_decision_after_a_changed_review_may_be_reviewed_again(world):
    claim = world.denied()
    first = _requested(world, claim)
    review_decide(review=first, user=world.colleague, outcome="changed", reasons="Reconsider.")
    claim_transition(claim=claim, to_status=S.DENIED, actor=world.colleague, reason="Still no.")

    today = timezone.localdate()
    assert review_deadline(_stored(claim)) is not None
    second = review_request(claim=_stored(claim), user=world.patient, reasons=REASONS)

    # The colleague made this refusal: someone else reviews it (nobody else has a profile).
    assert second.decided_by == world.colleague
    assert second.reviewer == world.decider
    assert second.decide_by == today + datetime.timedelta(days=28)


# --- Pages --------------------------------------------------------------------------------------


def _review_page(claim: Claim) -> str:
    return reverse("resolution:review_request", args=[claim.pk])


def test_the_patient_asks_from_the_page_and_is_told_the_decide_by_date(world):
    claim = world.denied(on=_yesterday())
    client = _signed_in(world.patient)

    page = client.get(_review_page(claim))
    assert page.status_code == 200
    assert "Ask for a review of the decision" in page.content.decode()

    response = client.post(_review_page(claim), {"reasons": REASONS}, follow=True)

    review = Review.objects.get()
    assert review.reviewer == world.colleague
    body = response.content.decode()
    assert "A different claims handler will look at the decision again" in body
    assert "A different claims handler is reviewing the decision" in body
    assert review.decide_by.strftime("%-d %B %Y") in body


def test_the_request_page_shows_a_missing_reason_in_the_error_summary(world):
    claim = world.denied(on=_yesterday())

    response = _signed_in(world.patient).post(_review_page(claim), {"reasons": ""})

    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Say why the decision should be looked at again." in body
    assert not Review.objects.exists()


def test_the_request_page_after_the_window_says_when_it_ended(world):
    claim = world.denied(on=timezone.localdate() - datetime.timedelta(days=70))
    deadline = review_deadline(claim)

    response = _signed_in(world.patient).get(_review_page(claim), follow=True)

    assert f"ended on {deadline.strftime('%-d %B %Y')}" in response.content.decode()
    assert not Review.objects.exists()


def test_an_advocate_without_the_scope_is_refused_and_audited(world):
    claim = world.denied(on=_yesterday())
    advocate = authority_for(claim, may_answer_offers=False)
    client = _signed_in(advocate)

    assert client.get(_review_page(claim)).status_code == 403
    response = client.post(_review_page(claim), {"reasons": REASONS})

    assert response.status_code == 403
    assert "does not include asking for a review" in response.content.decode()
    assert [r.detail["reason"] for r in _refusals(advocate)] == ["review request: scope"] * 2
    assert not Review.objects.exists()


def test_an_advocate_with_the_scope_asks_for_the_patient(world):
    claim = world.denied(on=_yesterday())
    advocate = authority_for(claim, may_answer_offers=True)

    response = _signed_in(advocate).post(_review_page(claim), {"reasons": REASONS})

    assert response.status_code == 302
    assert Review.objects.get().requested_by == advocate
    assert _stored(claim).status == S.REVIEW_REQUESTED


def test_another_patient_gets_404_and_an_audit_row(world):
    claim = world.denied(on=_yesterday())
    stranger = UserFactory()
    client = _signed_in(stranger)

    assert client.get(_review_page(claim)).status_code == 404
    assert client.post(_review_page(claim), {"reasons": REASONS}).status_code == 404

    assert len(_refusals(stranger)) == 2
    assert not Review.objects.exists()


def test_the_reviewer_decides_from_the_staff_page(world):
    claim = world.denied(on=_yesterday())
    _requested(world, claim, today=timezone.localdate())
    client = _signed_in(world.colleague)

    page = html.unescape(client.get(reverse("triage:claim_work", args=[claim.pk])).content.decode())
    assert "Review of the decision" in page
    assert REASONS in page
    assert "made by Dana Decider" in page
    assert "Record the outcome" in page

    url = reverse("resolution:review_decide", args=[claim.pk])
    refused = client.post(url, {"outcome": "upheld", "reasons": ""})
    assert refused.status_code == 400
    assert "Give the reasons for the outcome" in refused.content.decode()

    response = client.post(url, {"outcome": "changed", "reasons": "The notes were misread."})
    assert response.status_code == 302
    assert _stored(claim).status == S.UNDER_REVIEW


def test_the_patient_sees_the_window_and_then_the_outcome_on_the_case_page(world):
    claim = world.denied(on=_yesterday())
    deadline = review_deadline(claim).strftime("%-d %B %Y")
    client = _signed_in(world.patient)

    page = client.get(reverse("intake:claim_detail", args=[claim.pk])).content.decode()
    assert f"You can ask for a review of this decision until {deadline}" in page
    assert _review_page(claim) in page

    review = _requested(world, claim, today=timezone.localdate())
    review_decide(review=review, user=world.colleague, outcome="upheld", reasons="No breach.")

    page = client.get(reverse("intake:claim_detail", args=[claim.pk])).content.decode()
    assert "the decision is upheld" in page
    assert "No breach." in page
    assert _review_page(claim) not in page


# --- Queries ------------------------------------------------------------------------------------


def _render_tags(claim: Claim, user) -> None:
    request = RequestFactory().get("/")
    request.user = user
    template = Template(
        "{% load resolution_reviews %}{% claim_review claim %}{% staff_review claim %}"
    )
    template.render(Context({"claim": claim, "request": request}))


def test_the_tags_read_the_same_number_of_rows_however_many_reviews_a_claim_has(world):
    few = world.denied(on=_yesterday())
    many = world.denied(on=_yesterday())
    for _ in range(5):
        review = _requested(world, _stored(many), today=timezone.localdate())
        review_decide(review=review, user=review.reviewer, outcome="changed", reasons="Again.")
        # Back to the decider for a new refusal, so the colleague reviews each one.
        Claim.objects.filter(pk=many.pk).update(assigned_adjuster=world.decider)
        claim_transition(claim=many, to_status=S.DENIED, actor=world.decider, reason="No.")

    counts = {
        queries_during(lambda claim=claim: _render_tags(_stored(claim), world.patient))
        for claim in (few, many)
    }

    assert len(counts) == 1


def test_the_staff_page_gives_the_decider_no_outcome_form(world):
    claim = world.denied(on=_yesterday(), by=world.lead)
    review = _requested(world, claim, today=timezone.localdate())

    page = _signed_in(world.lead).get(reverse("triage:claim_work", args=[claim.pk]))

    body = page.content.decode()
    assert "You made the decision under review, so someone else decides the review." in body
    assert reverse("resolution:review_decide", args=[claim.pk]) not in body
    assert f"<dd>{review.reviewer.get_full_name()}</dd>" in body  # the reviewer named
