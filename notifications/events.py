"""The business events people are told about: who hears of each, in what words, and which ones a
patient cannot switch off.

Titles are plain, general words: they go into email subjects and the notification centre, so they
never name what a claim is about, its amounts or its documents.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from intake.lifecycle import LIFECYCLE
from portal.models import Role


class EventKind(models.TextChoices):
    CLAIM_SUBMITTED = "claim_submitted", _("Claim received")
    CLAIM_ACKNOWLEDGED = "claim_acknowledged", _("Claim acknowledged")
    CLAIM_ASSIGNED = "claim_assigned", _("Claim assigned")
    INFORMATION_REQUESTED = "information_requested", _("Information requested")
    INFORMATION_PROVIDED = "information_provided", _("Information provided")
    DOCUMENT_CLEAN = "document_clean", _("Document accepted")
    DOCUMENT_INFECTED = "document_infected", _("Document refused")
    DOCUMENT_UNSCANNABLE = "document_unscannable", _("Document could not be checked")
    OFFER_MADE = "offer_made", _("Offer made")
    OFFER_COUNTERED = "offer_countered", _("Counter-proposal made")
    OFFER_DECLINED = "offer_declined", _("Offer declined")
    OFFER_LAPSING = "offer_lapsing", _("Offer about to lapse")
    OFFER_LAPSED = "offer_lapsed", _("Offer lapsed")
    PAYMENT_MADE = "payment_made", _("Payment made")
    REVIEW_REQUESTED = "review_requested", _("Review requested")
    REVIEW_DECIDED = "review_decided", _("Review decided")
    LETTER_READY = "letter_ready", _("Letter ready")
    DATE_MISSED = "date_missed", _("The insurer missed a date")
    CLAIM_DENIED = "claim_denied", _("Decision made")
    CLAIM_SETTLED = "claim_settled", _("Claim settled")
    CLAIM_CLOSED = "claim_closed", _("Claim closed")
    CLAIM_WITHDRAWN = "claim_withdrawn", _("Claim withdrawn")
    CLAIM_REOPENED = "claim_reopened", _("Claim reopened")
    MESSAGE_RECEIVED = "message_received", _("New message")
    CLAIM_OVERDUE = "claim_overdue", _("Claim overdue")
    CLAIM_ESCALATED = "claim_escalated", _("Claim waiting for an adjuster")
    # The patient corrected their name, phone or address on a submitted claim (privacy).
    CONTACT_CORRECTED = "contact_corrected", _("Contact details corrected")
    # Told to the advocate concerned (the NAMED audience), with no claim: one whose authority
    # has ended may no longer see it.
    AUTHORITY_GRANTED = "authority_granted", _("Authority granted")
    AUTHORITY_CHANGED = "authority_changed", _("Authority changed")
    AUTHORITY_REVOKED = "authority_revoked", _("Authority revoked")
    # Told to the patient a subject access request is for (NAMED), with no claim: it is about
    # all they hold with the portal.
    EXPORT_READY = "export_ready", _("Copy of your data ready")
    EXPORT_EXTENDED = "export_extended", _("More time needed for your copy of your data")
    # Told to the insurer's triage leads (NAMED), with no claim: an endpoint of its systems
    # answered 410 Gone and the portal stopped sending it webhooks.
    WEBHOOK_DISABLED = "webhook_disabled", _("Webhook endpoint disabled")
    # Emails to one address about an advocate's authority or an unfinished draft, sent whatever
    # the preferences and never shown in the notification centre (ADDRESSED_EMAILS).
    ADVOCATE_INVITATION = "advocate_invitation", _("Invitation to act for a patient")
    ACCOUNT_TAKEOVER = "account_takeover", _("Claim started for you by an advocate")
    ADVOCATE_INVITE_REQUEST = "advocate_invite_request", _("Advocate asking to act for you")
    # A draft has no reference or case page yet: these name only its dates.
    DRAFT_REMINDER = "draft_reminder", _("Unfinished claim to be deleted")
    DRAFT_PURGED = "draft_purged", _("Unfinished claim deleted")


class Audience(models.TextChoices):
    """How a recipient stands to the claim; decides the words they read."""

    PATIENT = "patient", _("Patient")
    ADVOCATE = "advocate", _("Advocate")
    ADJUSTER = "adjuster", _("Assigned adjuster")
    TRIAGE_LEADS = "triage_leads", _("Triage leads of the claim's insurer")
    #: Named by the caller (the person who uploaded a document, an advocate).
    NAMED = "named", _("Named by the event")


@dataclass(frozen=True)
class Event:
    kind: str
    #: The title each audience reads; an audience without a title is not told.
    titles: dict[str, str]
    #: Audiences who receive it whatever their preferences (information requests, decisions).
    mandatory_for: frozenset[str] = frozenset()
    #: Whether the person who caused the event is told too (a receipt), not only the others.
    tell_actor: bool = False

    @property
    def audiences(self) -> tuple[str, ...]:
        return tuple(self.titles)


K, A = EventKind, Audience
_DECISION = frozenset({A.PATIENT, A.ADVOCATE})

EVENTS: dict[str, Event] = {
    K.CLAIM_SUBMITTED: Event(
        K.CLAIM_SUBMITTED,
        {
            A.PATIENT: _("We have received your claim"),
            A.ADVOCATE: _("A claim you follow has been received"),
        },
        tell_actor=True,
    ),
    K.CLAIM_ACKNOWLEDGED: Event(
        K.CLAIM_ACKNOWLEDGED,
        {
            A.PATIENT: _("Your claim has been acknowledged"),
            A.ADVOCATE: _("A claim you follow has been acknowledged"),
        },
    ),
    K.CLAIM_ASSIGNED: Event(
        K.CLAIM_ASSIGNED,
        {
            A.PATIENT: _("A claims handler has been given your claim"),
            A.ADVOCATE: _("A claims handler has been given a claim you follow"),
            A.ADJUSTER: _("A claim has been assigned to you"),
        },
    ),
    K.INFORMATION_REQUESTED: Event(
        K.INFORMATION_REQUESTED,
        {
            A.PATIENT: _("The insurer needs more information from you"),
            A.ADVOCATE: _("The insurer needs more information on a claim you follow"),
        },
        mandatory_for=_DECISION,
    ),
    K.INFORMATION_PROVIDED: Event(
        K.INFORMATION_PROVIDED,
        {A.ADJUSTER: _("The claimant has answered your request for information")},
    ),
    K.DOCUMENT_CLEAN: Event(
        K.DOCUMENT_CLEAN, {A.NAMED: _("A document you sent has passed the virus check")}
    ),
    K.DOCUMENT_INFECTED: Event(
        K.DOCUMENT_INFECTED, {A.NAMED: _("A document you sent could not be accepted")}
    ),
    K.DOCUMENT_UNSCANNABLE: Event(
        K.DOCUMENT_UNSCANNABLE, {A.NAMED: _("A document you sent could not be checked")}
    ),
    K.OFFER_MADE: Event(
        K.OFFER_MADE,
        {
            A.PATIENT: _("The insurer has made you an offer"),
            A.ADVOCATE: _("The insurer has made an offer on a claim you follow"),
        },
        mandatory_for=_DECISION,
    ),
    K.OFFER_COUNTERED: Event(
        K.OFFER_COUNTERED,
        {A.ADJUSTER: _("The claimant has made a counter-proposal to your offer")},
    ),
    K.OFFER_DECLINED: Event(
        K.OFFER_DECLINED, {A.ADJUSTER: _("The claimant has declined your offer")}
    ),
    K.OFFER_LAPSING: Event(
        K.OFFER_LAPSING,
        {
            A.PATIENT: _("The insurer's offer to you ends soon"),
            A.ADVOCATE: _("An offer on a claim you follow ends soon"),
        },
        mandatory_for=_DECISION,
    ),
    K.OFFER_LAPSED: Event(
        K.OFFER_LAPSED,
        {
            A.PATIENT: _("The insurer's offer to you has ended"),
            A.ADVOCATE: _("An offer on a claim you follow has ended"),
            A.ADJUSTER: _("An offer you made has lapsed without an answer"),
        },
        mandatory_for=_DECISION,
    ),
    K.PAYMENT_MADE: Event(
        K.PAYMENT_MADE,
        {
            A.PATIENT: _("The insurer has made a payment to you"),
            A.ADVOCATE: _("The insurer has made a payment on a claim you follow"),
        },
        mandatory_for=_DECISION,
    ),
    K.REVIEW_REQUESTED: Event(
        K.REVIEW_REQUESTED,
        {
            A.ADJUSTER: _("A review of a decision has been given to you"),
            A.TRIAGE_LEADS: _("A patient has asked for a review of a decision"),
        },
    ),
    K.REVIEW_DECIDED: Event(
        K.REVIEW_DECIDED,
        {
            A.PATIENT: _("The review of the decision on your claim is finished"),
            A.ADVOCATE: _("The review of a decision on a claim you follow is finished"),
        },
        mandatory_for=_DECISION,
    ),
    K.LETTER_READY: Event(
        K.LETTER_READY,
        {
            A.PATIENT: _("A letter about your claim is ready"),
            A.ADVOCATE: _("A letter about a claim you follow is ready"),
        },
    ),
    K.DATE_MISSED: Event(
        K.DATE_MISSED,
        {
            A.PATIENT: _("The insurer has missed a date on your claim"),
            A.ADVOCATE: _("The insurer has missed a date on a claim you follow"),
        },
    ),
    K.CLAIM_DENIED: Event(
        K.CLAIM_DENIED,
        {
            A.PATIENT: _("The insurer has made a decision on your claim"),
            A.ADVOCATE: _("The insurer has made a decision on a claim you follow"),
        },
        mandatory_for=_DECISION,
    ),
    K.CLAIM_SETTLED: Event(
        K.CLAIM_SETTLED,
        {
            A.PATIENT: _("Your claim has been settled"),
            A.ADVOCATE: _("A claim you follow has been settled"),
            A.ADJUSTER: _("A claim you work has been settled"),
        },
        mandatory_for=_DECISION,
    ),
    K.CLAIM_CLOSED: Event(
        K.CLAIM_CLOSED,
        {
            A.PATIENT: _("Your claim has been closed"),
            A.ADVOCATE: _("A claim you follow has been closed"),
        },
    ),
    K.CLAIM_WITHDRAWN: Event(
        K.CLAIM_WITHDRAWN,
        {
            A.PATIENT: _("Your claim has been withdrawn"),
            A.ADVOCATE: _("A claim you follow has been withdrawn"),
            A.ADJUSTER: _("A claim assigned to you has been withdrawn"),
        },
        tell_actor=True,
    ),
    K.CLAIM_REOPENED: Event(
        K.CLAIM_REOPENED,
        {
            A.PATIENT: _("Your claim has been reopened for reconsideration"),
            A.ADVOCATE: _("A claim you follow has been reopened for reconsideration"),
            A.ADJUSTER: _("A claim assigned to you has been reopened"),
        },
        mandatory_for=_DECISION,
    ),
    K.MESSAGE_RECEIVED: Event(
        K.MESSAGE_RECEIVED,
        {
            A.PATIENT: _("You have a new message about your claim"),
            A.ADVOCATE: _("There is a new message on a claim you follow"),
            A.ADJUSTER: _("You have a new message on a claim"),
        },
    ),
    K.CLAIM_OVERDUE: Event(K.CLAIM_OVERDUE, {A.TRIAGE_LEADS: _("A claim is past its due date")}),
    K.CLAIM_ESCALATED: Event(
        K.CLAIM_ESCALATED,
        {A.TRIAGE_LEADS: _("A claim is waiting: nobody in the team has room")},
    ),
    K.AUTHORITY_GRANTED: Event(
        K.AUTHORITY_GRANTED, {A.NAMED: _("A patient has given you authority on their claim")}
    ),
    K.AUTHORITY_CHANGED: Event(
        K.AUTHORITY_CHANGED, {A.NAMED: _("A patient has changed what you may do for them")}
    ),
    K.AUTHORITY_REVOKED: Event(
        K.AUTHORITY_REVOKED, {A.NAMED: _("A patient has ended your authority on their claim")}
    ),
    # The adjuster writes to the claimant: they must not miss a new address or phone number.
    K.CONTACT_CORRECTED: Event(
        K.CONTACT_CORRECTED,
        {A.ADJUSTER: _("A claimant has corrected their contact details")},
        mandatory_for=frozenset({A.ADJUSTER}),
    ),
    # A subject access request's answer is owed whatever the preferences.
    K.EXPORT_READY: Event(
        K.EXPORT_READY,
        {A.NAMED: _("Your copy of your data is ready")},
        mandatory_for=frozenset({A.NAMED}),
    ),
    K.EXPORT_EXTENDED: Event(
        K.EXPORT_EXTENDED,
        {A.NAMED: _("We need more time to send you a copy of your data")},
        mandatory_for=frozenset({A.NAMED}),
    ),
    # Until someone enables it again, the insurer's systems hear of no change: not to be missed.
    K.WEBHOOK_DISABLED: Event(
        K.WEBHOOK_DISABLED,
        {A.NAMED: _("A webhook endpoint of your insurer has been disabled")},
        mandatory_for=frozenset({A.NAMED}),
    ),
}

#: Kinds that are one email to one address, not an event told to audiences: their words and
#: link are their own templates' (notifications/email/<kind>_*.txt). They are not in EVENTS, so
#: no preference switches them off.
ADDRESSED_EMAILS: frozenset[str] = frozenset(
    {
        K.ADVOCATE_INVITATION,
        K.ACCOUNT_TAKEOVER,
        K.ADVOCATE_INVITE_REQUEST,
        K.DRAFT_REMINDER,
        K.DRAFT_PURGED,
    }
)


def event_for_transition(from_status: str, to_status: str) -> str | None:
    """The event kind a move from `from_status` to `to_status` announces, if any: the lifecycle
    table says which (moves to needs-triage tell no one)."""
    move = LIFECYCLE.get((from_status, to_status))
    return move.event if move else None


#: Which audiences a person of each role may belong to (for their preferences page).
ROLE_AUDIENCES: dict[str, frozenset[str]] = {
    Role.PATIENT: frozenset({A.PATIENT, A.NAMED}),
    Role.ADVOCATE: frozenset({A.ADVOCATE, A.NAMED}),
    Role.ADJUSTER: frozenset({A.ADJUSTER}),
    Role.TRIAGE_LEAD: frozenset({A.TRIAGE_LEADS, A.ADJUSTER}),
}


def kinds_for_role(role: str) -> list[str]:
    """The event kinds a person of `role` may hear about, in the order of EventKind."""
    audiences = ROLE_AUDIENCES.get(role, frozenset())
    return [
        kind
        for kind in EventKind.values
        if kind in EVENTS
        and audiences & set(EVENTS[kind].audiences)
        and not (kind.startswith("authority_") and role != Role.ADVOCATE)
        and not (kind.startswith("export_") and role != Role.PATIENT)
    ]


def is_mandatory(kind: str, role: str) -> bool:
    """Whether a person of `role` receives `kind` whatever their preferences."""
    return bool(EVENTS[kind].mandatory_for & ROLE_AUDIENCES.get(role, frozenset()))
