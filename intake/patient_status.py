"""Each status in plain words for patients: what it means, what happens next, and whether
something is due from them.

The patient reads "you" and "your claim". An advocate reads the same status about someone else,
so each status may carry its words for an advocate ("your client"); templates pick them with the
`acts_for_patient` flag (`status.advocate_label`, `status.advocate_next_step`)."""

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
    #: What happens next, told to an advocate; None where the patient's words fit them too.
    for_advocate: Promise | None = None
    #: The label told to an advocate, where the patient's says "you".
    label_for_advocate: Promise | None = None

    @property
    def advocate_label(self) -> Promise:
        return self.label_for_advocate or self.label

    @property
    def advocate_next_step(self) -> Promise:
        return self.for_advocate or self.next_step


_ROUTING = PatientStatus(
    _("Received"),
    _("We are passing your claim to the insurer responsible for your care provider."),
    for_advocate=_(
        "We are passing your client's claim to the insurer responsible for their care provider."
    ),
)
PATIENT_STATUSES: dict[str, PatientStatus] = {
    S.DRAFT: PatientStatus(
        _("Not sent yet"),
        _("Finish your answers and send your claim."),
        action_due=True,
        for_advocate=_("Finish the answers and send your client's claim."),
    ),
    S.SUBMITTED: _ROUTING,
    S.NEEDS_TRIAGE: _ROUTING,
    S.ASSIGNED: PatientStatus(
        _("With a claims handler"),
        _("A claims handler has your claim and will start reviewing it soon."),
        for_advocate=_(
            "A claims handler has your client's claim and will start reviewing it soon."
        ),
    ),
    S.UNDER_REVIEW: PatientStatus(
        _("Being reviewed"),
        _("Your claims handler is looking at what happened and may contact you."),
        for_advocate=_(
            "The claims handler is looking at what happened and may contact your client or you."
        ),
    ),
    S.INFORMATION_REQUESTED: PatientStatus(
        _("Information needed from you"),
        _("Your claims handler has asked you for more information. Reply on your claim page."),
        action_due=True,
        for_advocate=_(
            "The claims handler has asked for more information. Reply on your client's claim page."
        ),
        label_for_advocate=_("Information needed"),
    ),
    S.OFFER_MADE: PatientStatus(
        _("Offer made"),
        _(
            "The insurer has made you an offer. Accept it, decline it or make a "
            "counter-proposal before the date it gives."
        ),
        action_due=True,
        for_advocate=_(
            "The insurer has made your client an offer. It must be accepted, declined or answered "
            "with a counter-proposal before the date it gives."
        ),
    ),
    S.COUNTER_PROPOSED: PatientStatus(
        _("Counter-proposal sent"),
        _("The insurer is considering your counter-proposal and will answer you here."),
        for_advocate=_(
            "The insurer is considering the counter-proposal on your client's claim and will "
            "answer here."
        ),
    ),
    S.OFFER_DECLINED: PatientStatus(
        _("Offer declined"),
        _("You declined the offer. The insurer will consider your reasons and answer you here."),
        for_advocate=_(
            "The offer on your client's claim was declined. The insurer will consider the reasons "
            "and answer here."
        ),
    ),
    S.OFFER_LAPSED: PatientStatus(
        _("Offer ended"),
        _(
            "The offer ended without an answer. The insurer may make another one; you can "
            "message your claims handler."
        ),
        for_advocate=_(
            "The offer on your client's claim ended without an answer. The insurer may make "
            "another one."
        ),
    ),
    S.SETTLED: PatientStatus(
        _("Settled"),
        _("You accepted the offer. The insurer will pay what was agreed, then close the claim."),
        for_advocate=_(
            "The offer on your client's claim was accepted. The insurer will pay what was agreed, "
            "then close the claim."
        ),
    ),
    S.REVIEW_REQUESTED: PatientStatus(
        _("Review requested"),
        _("A different claims handler is reviewing the decision and will write to you."),
        for_advocate=_(
            "A different claims handler is reviewing the decision on your client's claim and "
            "will write to them."
        ),
    ),
    S.DENIED: PatientStatus(
        _("Not accepted"),
        _("The insurer did not accept your claim. You can ask for a review of the decision."),
        for_advocate=_(
            "The insurer did not accept your client's claim. A review of the decision can be "
            "asked for."
        ),
    ),
    S.CLOSED: PatientStatus(
        _("Closed"), _("Your claim is closed."), for_advocate=_("Your client's claim is closed.")
    ),
    S.WITHDRAWN: PatientStatus(
        _("Withdrawn"),
        _("You withdrew this claim. Nothing more will happen with it."),
        for_advocate=_("Your client withdrew this claim. Nothing more will happen with it."),
    ),
}


def patient_status(status: str) -> PatientStatus:
    return PATIENT_STATUSES[status]


#: Statuses in which the patient (or their advocate) has something to do.
STATUSES_NEEDING_ACTION = tuple(
    status for status, shown in PATIENT_STATUSES.items() if shown.action_due
)
