"""Reviews of a decision: a refusal, or a settlement the patient disputes, looked at again by a
different adjuster from the one who made it (four eyes), within the jurisdiction's window.

One review per decision: once a decision has been reviewed, an upheld outcome puts the claim back
where it was with no second window; a changed outcome reopens the claim, and the next decision
made on it may be reviewed in turn.
"""

import datetime
from collections.abc import Iterable

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from intake.models import REVIEWABLE, Claim, ClaimStatus, ClaimStatusChange
from portal.models import JurisdictionProfile
from portal.selectors import jurisdiction_profile
from resolution.models import Review

#: The moves that make a decision a review may look at. A move out of REVIEW_REQUESTED back into
#: one of them is the review's outcome (upheld), not a new decision.
DECISIONS = (ClaimStatus.DENIED, ClaimStatus.SETTLED)


def claim_profile(claim: Claim) -> JurisdictionProfile:
    """The jurisdiction profile whose dates the claim runs to (its provider's)."""
    return jurisdiction_profile(claim.provider.jurisdiction if claim.provider_id else "")


def decision_change(changes: Iterable[ClaimStatusChange]) -> ClaimStatusChange | None:
    """The status change that made the claim's latest decision (into denied or settled), leaving
    out a review's upheld outcome; `changes` are the claim's history rows, in any order."""
    decisions = [
        c
        for c in changes
        if c.to_status in DECISIONS and c.from_status != ClaimStatus.REVIEW_REQUESTED
    ]
    return max(decisions, key=lambda c: (c.occurred_at, c.pk), default=None)


def review_window(
    *,
    status: str,
    changes: Iterable[ClaimStatusChange],
    reviews: Iterable[Review],
    profile: JurisdictionProfile,
) -> datetime.date | None:
    """The last day to ask for a review, from rows already read (so a page with many claims or
    many rows reads them once), or None when there is nothing to review or it has been."""
    if status not in REVIEWABLE:
        return None
    decision = decision_change(changes)
    if decision is None:
        return None
    if any(r.requested_at >= decision.occurred_at for r in reviews):
        return None
    decided_on = timezone.localdate(decision.occurred_at)
    return decided_on + relativedelta(months=profile.months_to_ask_for_review)


def review_deadline(claim: Claim) -> datetime.date | None:
    """The last day the patient may ask for a review of the claim's decision: the day it was
    decided (for a closed claim, the refusal or settlement before it) plus the jurisdiction's
    months_to_ask_for_review; None when the claim is not reviewable or the decision has already
    been reviewed."""
    if claim.status not in REVIEWABLE:
        return None
    return review_window(
        status=claim.status,
        changes=ClaimStatusChange.objects.filter(claim=claim, to_status__in=DECISIONS),
        reviews=Review.objects.filter(claim=claim).only("requested_at"),
        profile=claim_profile(claim),
    )
