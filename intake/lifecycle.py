"""The claim's lifecycle: every move, who may make it, whether it needs a reason, what must hold
before it and what it announces, in one table.

`claim_transition` (intake/services.py) and the access policy's `claim_may_transition` read it,
and notifications reads the event each move announces. A move not listed is refused. Every move
made also records a history row and an audit row and sends `claim_status_changed`.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from intake.models import BEFORE_DECISION, REVIEWABLE, Claim, ClaimStatus


class Actor(enum.StrEnum):
    """How a person stands to a claim when changing it (see `claim_actor_kind`)."""

    #: The claim's patient.
    CLAIMANT = "claimant"
    #: An advocate acting under an authority in force.
    ADVOCATE = "advocate"
    #: The adjuster assigned to the claim, or a triage lead of the claim's insurer.
    INSURER = "insurer"
    #: The portal itself (routing), which passes no user.
    SYSTEM = "system"


#: What must hold before a move: given the locked claim, the refusal to show, or None.
Guard = Callable[[Claim], str | None]


@dataclass(frozen=True)
class Move:
    from_status: str
    to_status: str
    #: Who may make the move; anyone else is refused (and audited).
    actors: frozenset[Actor]
    #: Whether the move must say why (a refusal and a reopening); other reasons are optional.
    reason_required: bool = False
    guard: Guard | None = None
    #: The notification event the move announces (a notifications EventKind, named by its value
    #: since intake sits below notifications); None tells no one.
    event: str | None = None
    #: The scope an advocate's authority needs to make the move (an Authority field), when the
    #: move binds the patient more than following the claim does.
    advocate_scope: str | None = None

    def refusal(self, claim: Claim) -> str | None:
        """Why the guard refuses the move for `claim`, or None when it may go ahead."""
        return self.guard(claim) if self.guard else None


def _sent_by_claim_submit(claim: Claim) -> str | None:
    # Only claim_submit sends a claim: it checks the answers and gives the reference.
    return None if claim.reference else _("Send the claim from its check-answers page.")


def _authority_form_checked(claim: Claim) -> str | None:
    if claim.authority_to_verify:
        return _("Check the advocate's authority form before you start work on this claim.")
    return None


S = ClaimStatus
_CLAIMANT = frozenset({Actor.CLAIMANT})
_PATIENT_SIDE = frozenset({Actor.CLAIMANT, Actor.ADVOCATE})
_INSURER = frozenset({Actor.INSURER})
_ROUTING = frozenset({Actor.SYSTEM, Actor.INSURER})
_SYSTEM = frozenset({Actor.SYSTEM})
#: The scope an advocate needs to answer an offer or ask for a review for the patient.
_ANSWERS = "may_answer_offers"
#: The patient has answered the offer (or let it lapse): the insurer's turn.
_ANSWERED = (S.COUNTER_PROPOSED, S.OFFER_DECLINED, S.OFFER_LAPSED)

_MOVES = (
    # An advocate submits only a draft they filed themselves (see claim_may_edit_draft).
    Move(
        S.DRAFT,
        S.SUBMITTED,
        _PATIENT_SIDE,
        guard=_sent_by_claim_submit,
        event="claim_submitted",
    ),
    Move(S.SUBMITTED, S.ASSIGNED, _ROUTING, event="claim_assigned"),
    Move(S.SUBMITTED, S.NEEDS_TRIAGE, frozenset({Actor.SYSTEM})),
    Move(S.NEEDS_TRIAGE, S.ASSIGNED, _ROUTING, event="claim_assigned"),
    Move(
        S.ASSIGNED,
        S.UNDER_REVIEW,
        _INSURER,
        guard=_authority_form_checked,
        event="claim_acknowledged",
    ),
    Move(S.UNDER_REVIEW, S.INFORMATION_REQUESTED, _INSURER, event="information_requested"),
    # The answer to a request, from the patient or an advocate allowed to message.
    Move(
        S.INFORMATION_REQUESTED,
        S.UNDER_REVIEW,
        _PATIENT_SIDE | _INSURER,
        guard=_authority_form_checked,
        event="information_provided",
        advocate_scope="may_message",
    ),
    Move(S.UNDER_REVIEW, S.OFFER_MADE, _INSURER, event="offer_made"),
    Move(S.UNDER_REVIEW, S.DENIED, _INSURER, reason_required=True, event="claim_denied"),
    # The patient's answers to an offer (resolution/offers.py makes them, with the round's row).
    Move(S.OFFER_MADE, S.SETTLED, _PATIENT_SIDE, event="claim_settled", advocate_scope=_ANSWERS),
    Move(
        S.OFFER_MADE,
        S.COUNTER_PROPOSED,
        _PATIENT_SIDE,
        event="offer_countered",
        advocate_scope=_ANSWERS,
    ),
    Move(
        S.OFFER_MADE,
        S.OFFER_DECLINED,
        _PATIENT_SIDE,
        event="offer_declined",
        advocate_scope=_ANSWERS,
    ),
    Move(S.OFFER_MADE, S.OFFER_LAPSED, _SYSTEM, event="offer_lapsed"),
    # The insurer accepts a counter-proposal, or makes a revised offer after any answer.
    Move(S.COUNTER_PROPOSED, S.SETTLED, _INSURER, event="claim_settled"),
    *(Move(status, S.OFFER_MADE, _INSURER, event="offer_made") for status in _ANSWERED),
    *(
        Move(status, S.DENIED, _INSURER, reason_required=True, event="claim_denied")
        for status in _ANSWERED
    ),
    # Settled claims close when everything agreed is paid (resolution/payments.py).
    Move(S.SETTLED, S.CLOSED, _SYSTEM, event="claim_closed"),
    Move(S.DENIED, S.CLOSED, _INSURER, event="claim_closed"),
    # A review of a refusal or a disputed settlement, asked for within the jurisdiction's window
    # (resolution/reviews.py); a different adjuster decides it: upheld (back where it was) or
    # changed (reconsidered).
    *(
        Move(
            status,
            S.REVIEW_REQUESTED,
            _PATIENT_SIDE,
            event="review_requested",
            advocate_scope=_ANSWERS,
        )
        for status in REVIEWABLE
    ),
    *(
        Move(S.REVIEW_REQUESTED, status, _INSURER, reason_required=True, event="review_decided")
        for status in REVIEWABLE
    ),
    Move(
        S.REVIEW_REQUESTED,
        S.UNDER_REVIEW,
        _INSURER,
        reason_required=True,
        guard=_authority_form_checked,
        event="review_decided",
    ),
    Move(
        S.DENIED,
        S.UNDER_REVIEW,
        _INSURER,
        reason_required=True,
        guard=_authority_form_checked,
        event="claim_reopened",
    ),
    Move(
        S.CLOSED,
        S.UNDER_REVIEW,
        _INSURER,
        reason_required=True,
        guard=_authority_form_checked,
        event="claim_reopened",
    ),
    *(Move(status, S.WITHDRAWN, _CLAIMANT, event="claim_withdrawn") for status in BEFORE_DECISION),
)

#: Every allowed move by (from, to).
LIFECYCLE: dict[tuple[str, str], Move] = {(m.from_status, m.to_status): m for m in _MOVES}
