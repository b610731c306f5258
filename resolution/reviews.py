"""Reviews of a decision: a refusal, or a settlement the patient disputes, looked at again by a
different adjuster from the one who made it (four eyes), within the jurisdiction's window.

One review per decision: once a decision has been reviewed, an upheld outcome puts the claim back
where it was with no second window; a changed outcome reopens the claim, and the next decision
made on it may be reviewed in turn.
"""

import datetime
from collections.abc import Iterable
from typing import NoReturn

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import (
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from intake import access as claim_access
from intake.models import OPEN_FOR_ADJUSTER, REVIEWABLE, Claim, ClaimStatus, ClaimStatusChange
from intake.selectors import claim_jurisdiction_profile
from intake.services import (
    ClaimError,
    TransitionNotPermitted,
    claim_change_refuse,
    claim_transition,
)
from portal.access import forbid, refuse
from portal.models import AuditAction, JurisdictionProfile, Role, User
from portal.services import audit_event_record
from resolution.models import Review, ReviewOutcome
from triage.models import AdjusterProfile, RoutingDecision, Team

#: The moves that make a decision a review may look at. A move out of REVIEW_REQUESTED back into
#: one of them is the review's outcome (upheld), not a new decision.
DECISIONS = (ClaimStatus.DENIED, ClaimStatus.SETTLED)
#: The history rows the window is worked out from: the decisions, and the reviews asked for.
WINDOW_MOVES = (*DECISIONS, ClaimStatus.REVIEW_REQUESTED)


def window_changes(claim: Claim) -> QuerySet[ClaimStatusChange]:
    """The claim's history rows `review_window` reads."""
    return ClaimStatusChange.objects.filter(claim=claim, to_status__in=WINDOW_MOVES)


def decision_change(changes: Iterable[ClaimStatusChange]) -> ClaimStatusChange | None:
    """The status change that made the claim's latest decision (into denied or settled), leaving
    out a review's upheld outcome; `changes` are the claim's history rows, in any order."""
    decisions = [
        c
        for c in changes
        if c.to_status in DECISIONS and c.from_status != ClaimStatus.REVIEW_REQUESTED
    ]
    # By id, the order the moves were made in: the claim's lock serialises them.
    return max(decisions, key=lambda c: c.pk, default=None)


def review_window(
    *,
    status: str,
    changes: Iterable[ClaimStatusChange],
    profile: JurisdictionProfile,
    reviews: Iterable[Review] = (),
) -> datetime.date | None:
    """The last day to ask for a review, from rows already read (so a page reads them once), or
    None when there is nothing to review or the decision has been reviewed.

    `changes` are the rows of `window_changes`: a move into review_requested after the decision
    means it has been reviewed. A caller holding only the decisions passes the claim's `reviews`
    instead: one asked for after the decision was made means the same."""
    if status not in REVIEWABLE:
        return None
    changes = list(changes)
    decision = decision_change(changes)
    if decision is None:
        return None
    if any(
        c.to_status == ClaimStatus.REVIEW_REQUESTED and c.pk > decision.pk for c in changes
    ) or any(r.requested_at >= decision.occurred_at for r in reviews):
        return None
    decided_on = timezone.localdate(decision.occurred_at)
    return decided_on + relativedelta(months=profile.months_to_ask_for_review)


def review_deadline(claim: Claim) -> datetime.date | None:
    """The last day the patient may ask for a review of the claim's decision: the day it was
    decided (for a closed claim, the refusal or settlement before it) plus the jurisdiction's
    months_to_ask_for_review; None when the claim is not reviewable or the decision has already
    been reviewed (one review per decision)."""
    if claim.status not in REVIEWABLE:
        return None
    return review_window(
        status=claim.status,
        changes=window_changes(claim),
        profile=claim_jurisdiction_profile(claim),
    )


class ReviewError(ClaimError):
    """A review that cannot be asked for or decided; the message is shown to the person."""


# --- Asking for a review ------------------------------------------------------------------------


def review_request(
    *, claim: Claim, user: User, reasons: str, today: datetime.date | None = None
) -> Review:
    """The patient (or an advocate allowed to answer for them) asks for a review of the claim's
    decision, within the window: a different adjuster of the insurer from the one who decided
    gets it, with its own decide-by date, and the claim moves to review_requested.

    Raises ReviewError (reasons missing, nothing to review, the window over), NotFound or Refused
    (audited) for someone who may not ask."""
    review_request_check_access(user=user, claim=claim)
    reasons = reasons.strip()
    if not reasons:
        raise ReviewError(_("Say why the decision should be looked at again."))
    today = today or timezone.localdate()
    try:
        review = _review_create(claim=claim, user=user, reasons=reasons, today=today)
    except TransitionNotPermitted:
        # Recorded after the rollback, so the refusal's audit row is kept.
        claim_change_refuse(user=user, claim=claim)
    claim.status, claim.assigned_adjuster = ClaimStatus.REVIEW_REQUESTED, review.reviewer
    return review


def _review_create(*, claim: Claim, user: User, reasons: str, today: datetime.date) -> Review:
    with transaction.atomic():
        locked = (
            Claim.objects.select_for_update(of=("self",))
            .select_related("provider", "assigned_adjuster")
            .get(pk=claim.pk)
        )
        profile = claim_jurisdiction_profile(locked)
        decision = _open_decision(locked, profile=profile, today=today)
        decided_by = _decider(locked, decision)
        reviewer = _reviewer_for(locked, decided_by=decided_by)
        review = Review.objects.create(
            claim=locked,
            decision_status=locked.status,
            decided_by=decided_by,
            requested_by=user,
            reasons=reasons,
            reviewer=reviewer,
            decide_by=today + datetime.timedelta(days=profile.days_to_decide_review),
        )
        # The reviewer is the claim's adjuster for the review, so the lifecycle's insurer actor
        # is them, and the decider (with nobody fitting: nobody) no longer works the claim.
        locked.assigned_adjuster = reviewer
        locked.save(update_fields=["assigned_adjuster", "updated_at"])
        _record_routing(locked, reviewer=reviewer, decided_by=decided_by)
        claim_transition(claim=locked, to_status=ClaimStatus.REVIEW_REQUESTED, actor=user)
        audit_event_record(action=AuditAction.CREATE, actor=user, obj=review)
    return review


def review_request_check_access(*, user: User, claim: Claim) -> None:
    """Raise NotFound for a stranger to the claim, Refused with the reason for anyone else who
    may not bind the patient (both audited); return for the patient or an advocate allowed."""
    # Called outside any transaction of ours, so the refusal's audit row is kept.
    if claim_access.claim_may_answer_for_patient(user, claim):
        return
    kind = claim_access.claim_actor_kind(user, claim)
    if kind is None:
        refuse(user=user, object_type="intake.claim", object_id=claim.pk, reason="review request")
    if kind == claim_access.ADVOCATE:
        message = _(
            "The authority the patient gave you does not include asking for a review of a "
            "decision. The patient can ask for one themselves, or change your authority to "
            "include answering offers and asking for reviews."
        )
    else:
        message = _("Only the patient, or an advocate they allow, can ask for a review.")
    forbid(
        user=user,
        object_type="intake.claim",
        object_id=claim.pk,
        reason="review request: scope",
        message=message,
    )


def review_request_problem(claim: Claim, *, today: datetime.date | None = None) -> str | None:
    """Why the patient cannot ask for a review now (nothing to review, reviewed already, the
    window over, with the date it ended), or None when they can."""
    try:
        _open_decision(
            claim, profile=claim_jurisdiction_profile(claim), today=today or timezone.localdate()
        )
    except ReviewError as error:
        return str(error)
    return None


def _open_decision(
    claim: Claim, *, profile: JurisdictionProfile, today: datetime.date
) -> ClaimStatusChange:
    """The decision a review may be asked for now, or ReviewError saying why there is none."""
    if claim.status not in REVIEWABLE:
        raise ReviewError(_("There is no decision on this claim to review."))
    changes = list(window_changes(claim).select_related("actor"))
    decision = decision_change(changes)
    deadline = review_window(status=claim.status, changes=changes, profile=profile)
    if decision is None:
        raise ReviewError(_("There is no decision on this claim to review."))
    if deadline is None:
        raise ReviewError(
            _("This decision has already been reviewed; a decision is reviewed only once.")
        )
    if today > deadline:
        raise ReviewError(
            _(
                "The time to ask for a review of this decision ended on %(date)s. If you think "
                "something has gone wrong, send a message to your claims handler."
            )
            % {"date": formats.date_format(deadline, "j F Y")}
        )
    return decision


def _decider(claim: Claim, decision: ClaimStatusChange) -> User | None:
    """Who made the decision: the insurer's person who moved the claim into it, or, when the
    patient did (accepting an offer settles the claim), the adjuster the claim was with."""
    if decision.actor is not None and decision.actor.is_insurer_staff:
        return decision.actor
    return claim.assigned_adjuster


def _reviewer_for(claim: Claim, *, decided_by: User | None) -> User | None:
    """An active adjuster of the claim's insurer other than the decider, not on leave, not
    conflicted with the provider, with room: the claim's team first, then the least loaded, ties
    to the one given work least recently. None when nobody fits (the triage leads decide).

    As routing does, each candidate's profile is locked and their open claims counted again
    before the review is theirs, so reviews and routing at the same moment never push anyone
    past capacity. The claim must be locked by the caller."""
    if claim.insurer_id is None:
        return None
    for profile in _reviewer_candidates(claim, decided_by=decided_by)[:REVIEWER_TRIES]:
        locked = (
            AdjusterProfile.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=profile.pk)
        )
        open_now = Claim.objects.filter(
            assigned_adjuster_id=locked.user_id, status__in=OPEN_FOR_ADJUSTER
        ).count()
        if open_now < locked.capacity and not locked.on_leave:
            locked.last_assigned_at = timezone.now()
            locked.save(update_fields=["last_assigned_at"])
            return locked.user
    return None


#: Candidates tried in turn when the first ones filled up meanwhile.
REVIEWER_TRIES = 10


def _reviewer_candidates(claim: Claim, *, decided_by: User | None) -> QuerySet[AdjusterProfile]:
    open_claims = (
        Claim.objects.filter(assigned_adjuster=OuterRef("user_id"), status__in=OPEN_FOR_ADJUSTER)
        .order_by()
        .values("assigned_adjuster")
        .annotate(n=Count("pk"))
        .values("n")
    )
    in_team = Team.members.through.objects.filter(
        team_id=claim.team_id, user_id=OuterRef("user_id")
    )
    profiles = (
        AdjusterProfile.objects.filter(
            user__insurer_id=claim.insurer_id,
            user__is_active=True,
            user__role=Role.ADJUSTER,
            on_leave=False,
            capacity__gt=0,
        )
        .annotate(open_claims=Coalesce(Subquery(open_claims, output_field=IntegerField()), 0))
        .filter(open_claims__lt=F("capacity"))
        .annotate(
            in_team=Exists(in_team),
            load=Cast("open_claims", FloatField()) / Cast("capacity", FloatField()),
        )
        .order_by("-in_team", "load", F("last_assigned_at").asc(nulls_first=True), "pk")
    )
    if decided_by is not None:
        profiles = profiles.exclude(user_id=decided_by.pk)
    if claim.provider_id:
        profiles = profiles.exclude(user__conflicts__provider_id=claim.provider_id)
    return profiles


def _record_routing(claim: Claim, *, reviewer: User | None, decided_by: User | None) -> None:
    """Why the review went where it went, beside the claim's other routing decisions."""
    decider = _initialled(decided_by) if decided_by else _("nobody recorded")
    if reviewer is None:
        reason = _(
            "Review of the decision (made by %(decider)s): no other adjuster has room or fits; "
            "waiting for a triage lead to decide it or assign it"
        ) % {"decider": decider}
    else:
        reason = _("Review of the decision (made by %(decider)s): given to %(reviewer)s") % {
            "decider": decider,
            "reviewer": _initialled(reviewer),
        }
    RoutingDecision.objects.create(
        claim=claim, team=claim.team, adjuster=reviewer, actor=None, reason=reason
    )


def _initialled(user: User) -> str:
    """'A. Patel' for Asha Patel, as routing names people."""
    parts = user.get_full_name().split()
    return f"{parts[0][0]}. {parts[-1]}" if len(parts) >= 2 else user.get_full_name()


# --- Deciding a review --------------------------------------------------------------------------


def review_open_for(claim: Claim) -> Review | None:
    """The claim's review waiting for its outcome, if any."""
    return Review.objects.filter(claim=claim, outcome="").select_related("decided_by").first()


def review_may_decide(user: User, review: Review, claim: Claim) -> bool:
    """The reviewer (the adjuster the review is with) or a triage lead of the insurer, never the
    person who made the decision (four eyes)."""
    return (
        claim_access.claim_may_work(user, claim)
        and review.decided_by_id != user.pk
        and claim.status == ClaimStatus.REVIEW_REQUESTED
    )


def review_decide(*, review: Review, user: User, outcome: str, reasons: str) -> Review:
    """Record the review's outcome and move the claim in one transaction: upheld, back to the
    decision reviewed; changed, to under_review, where the claim is reconsidered (a new offer, or
    a new decision). The patient is told by the move's event.

    Raises Refused (audited) for the decider or anyone not on the claim, ReviewError for a
    missing reason, an unknown outcome or a review already decided."""
    claim = review.claim
    review_decide_check_access(user=user, review=review, claim=claim)
    reasons = reasons.strip()
    if outcome not in ReviewOutcome.values:
        raise ReviewError(_("Choose whether the decision is upheld or changed."))
    if not reasons:
        raise ReviewError(_("Give the reasons for the outcome; the patient sees them."))
    try:
        return _review_outcome_record(
            review=review, claim=claim, user=user, outcome=outcome, reasons=reasons
        )
    except TransitionNotPermitted:
        # Someone else took the review over meanwhile; recorded after the rollback.
        claim_change_refuse(user=user, claim=claim)


def _review_outcome_record(
    *, review: Review, claim: Claim, user: User, outcome: str, reasons: str
) -> Review:
    with transaction.atomic():
        Claim.objects.select_for_update(of=("self",)).filter(pk=claim.pk).first()
        locked = Review.objects.select_for_update().get(pk=review.pk)
        if locked.outcome:
            raise ReviewError(_("This review has already been decided."))
        # Saved before the move, so the move's receivers (the outcome letter, the check that a
        # review is left only through here) read it.
        locked.outcome = outcome
        locked.outcome_reasons = reasons
        locked.outcome_at = timezone.now()
        locked.reviewer = user  # who reviewed it in the end: the database holds four eyes too
        locked.save(update_fields=["outcome", "outcome_reasons", "outcome_at", "reviewer"])
        to_status = (
            locked.decision_status if outcome == ReviewOutcome.UPHELD else ClaimStatus.UNDER_REVIEW
        )
        claim_transition(claim=claim, to_status=to_status, actor=user, reason=reasons)
    return locked


def review_decide_check_access(*, user: User, review: Review, claim: Claim) -> None:
    """Raise Refused (audited) for the person who made the decision under review (four eyes) or
    anyone not working the claim, NotFound for a stranger to it; return for those who may."""
    if not review_may_decide(user, review, claim):
        _review_decide_refuse(user=user, review=review, claim=claim)


def _review_decide_refuse(*, user: User, review: Review, claim: Claim) -> NoReturn:
    if review.decided_by_id is not None and review.decided_by_id == user.pk:
        forbid(
            user=user,
            object_type="resolution.review",
            object_id=review.pk,
            reason="four eyes: decided the decision reviewed",
            message=_(
                "You made the decision under review, so someone else must decide the review. "
                "A triage lead can give it to another adjuster."
            ),
        )
    if claim_access.claim_actor_kind(user, claim) is None:
        refuse(user=user, object_type="intake.claim", object_id=claim.pk, reason="review decide")
    forbid(
        user=user,
        object_type="resolution.review",
        object_id=review.pk,
        reason="review decide",
        message=_("Only the adjuster reviewing this decision or a triage lead can decide it."),
    )
