"""Each status in plain words for patients: what it means, what happens next, and whether
something is due from them."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from intake.models import ClaimStatus

S = ClaimStatus


@dataclass(frozen=True)
class PatientStatus:
    label: Promise
    next_step: Promise
    action_due: bool = False


_ROUTING = PatientStatus(
    _("Received"),
    _("We are passing your claim to the insurer responsible for your care provider."),
)
PATIENT_STATUSES: dict[str, PatientStatus] = {
    S.DRAFT: PatientStatus(
        _("Not sent yet"),
        _("Finish your answers and send your claim."),
        action_due=True,
    ),
    S.SUBMITTED: _ROUTING,
    S.NEEDS_TRIAGE: _ROUTING,
    S.ASSIGNED: PatientStatus(
        _("With a claims handler"),
        _("A claims handler has your claim and will start reviewing it soon."),
    ),
    S.UNDER_REVIEW: PatientStatus(
        _("Being reviewed"),
        _("Your claims handler is looking at what happened and may contact you."),
    ),
    S.INFORMATION_REQUESTED: PatientStatus(
        _("Information needed from you"),
        _("Your claims handler has asked you for more information. Reply on your claim page."),
        action_due=True,
    ),
    S.OFFER_MADE: PatientStatus(
        _("Offer made"),
        _(
            "The insurer has made you an offer. Accept it, decline it or make a "
            "counter-proposal before the date it gives."
        ),
        action_due=True,
    ),
    S.COUNTER_PROPOSED: PatientStatus(
        _("Counter-proposal sent"),
        _("The insurer is considering your counter-proposal and will answer you here."),
    ),
    S.OFFER_DECLINED: PatientStatus(
        _("Offer declined"),
        _("You declined the offer. The insurer will consider your reasons and answer you here."),
    ),
    S.OFFER_LAPSED: PatientStatus(
        _("Offer ended"),
        _(
            "The offer ended without an answer. The insurer may make another one; you can "
            "message your claims handler."
        ),
    ),
    S.SETTLED: PatientStatus(
        _("Settled"),
        _("You accepted the offer. The insurer will pay what was agreed, then close the claim."),
    ),
    S.REVIEW_REQUESTED: PatientStatus(
        _("Review requested"),
        _("A different claims handler is reviewing the decision and will write to you."),
    ),
    S.DENIED: PatientStatus(
        _("Not accepted"),
        _("The insurer did not accept your claim. You can ask for a review of the decision."),
    ),
    S.CLOSED: PatientStatus(_("Closed"), _("Your claim is closed.")),
    S.WITHDRAWN: PatientStatus(
        _("Withdrawn"), _("You withdrew this claim. Nothing more will happen with it.")
    ),
}


def patient_status(status: str) -> PatientStatus:
    return PATIENT_STATUSES[status]


#: Statuses in which the patient (or their advocate) has something to do.
STATUSES_NEEDING_ACTION = tuple(
    status for status, shown in PATIENT_STATUSES.items() if shown.action_due
)
