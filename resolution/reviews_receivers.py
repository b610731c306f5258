"""Keeps a review's outcome and the claim's move together: while a review waits for its outcome,
the claim leaves review_requested only through `review_decide` (resolution/reviews.py), which
records the outcome first. Any other door to the move (the staff page's deny or close buttons,
a script) is refused, so a decider cannot end the review of their own decision that way."""

from django.utils.translation import gettext as _

from intake.models import Claim, ClaimStatus
from resolution.models import Review
from resolution.reviews import ReviewError


def review_left_only_by_its_outcome(sender, *, claim: Claim, from_status: str, **kwargs) -> None:
    """Refuse (ReviewError, rolling the move back) a move out of review_requested while the
    claim's review has no outcome."""
    if from_status != ClaimStatus.REVIEW_REQUESTED:
        return
    if Review.objects.filter(claim_id=claim.pk, outcome="").exists():
        raise ReviewError(
            _("Decide the review in its section of the claim page: choose the outcome and say why.")
        )


def connect() -> None:
    """Connect the receivers (called once, from ResolutionConfig.ready)."""
    from intake import signals

    signals.claim_moved.connect(
        review_left_only_by_its_outcome, dispatch_uid="resolution.reviews.left_by_outcome"
    )
