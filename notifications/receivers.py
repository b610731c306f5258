"""Notifications hears intake's announcements (intake sits below it and never imports it). Each
signal is sent inside the transaction of its change, so the outbox rows written here are
committed, or rolled back, with it."""

import datetime
import uuid

from django.utils import timezone

from intake.models import Authority, Claim, ClaimMessage
from notifications import outbox
from notifications.events import EventKind
from portal.models import User


def claim_moved(sender, *, claim: Claim, from_status, to_status, actor, change_id, **kwargs):
    outbox.notification_create_for_transition(
        claim=claim, from_status=from_status, to_status=to_status, actor=actor, change_id=change_id
    )


def claim_message_posted(sender, *, message: ClaimMessage, **kwargs) -> None:
    outbox.notification_create_for_event(
        kind=EventKind.MESSAGE_RECEIVED,
        claim=message.claim,
        actor=message.author,
        event_key=f"message:{message.pk}",
    )


def authority_changed(sender, *, authority: Authority, change: str, **kwargs) -> None:
    """Tell the advocate, naming no claim: one whose authority ended may no longer see it."""
    kind = f"authority_{change}"
    outbox.notification_create_for_event(
        kind=kind,
        recipients=[authority.advocate],
        # Each grant, change or end is its own occurrence (a patient may change scope twice).
        event_key=f"authority:{authority.pk}:{kind}:{timezone.now().isoformat()}",
    )


def advocate_invited(sender, *, authority: Authority, **kwargs) -> None:
    # To the address: the advocate may have no account yet. The link is made when it is sent.
    outbox.notification_create_addressed(
        kind=EventKind.ADVOCATE_INVITATION,
        recipient_email=authority.invited_email,
        authority=authority,
        actor=authority.patient,
        event_key=f"advocate-invitation:{authority.pk}",
    )


def claim_filed_on_behalf(sender, *, claim: Claim, advocate: User, **kwargs) -> None:
    outbox.notification_create_addressed(
        kind=EventKind.ACCOUNT_TAKEOVER,
        recipient=claim.claimant,
        claim=claim,
        actor=advocate,
        event_key=f"account-takeover:{claim.pk}",
    )


def advocate_invite_requested(sender, *, patient: User, advocate: User, **kwargs) -> None:
    # Each attempt is its own occurrence, as each was told before.
    outbox.notification_create_addressed(
        kind=EventKind.ADVOCATE_INVITE_REQUEST,
        recipient=patient,
        actor=advocate,
        event_key=f"advocate-invite-request:{patient.pk}:{advocate.pk}:{uuid.uuid4().hex}",
    )


def draft_reminder_due(sender, *, claim: Claim, deleted_on: datetime.date, **kwargs) -> None:
    # One reminder per stale spell, and each spell has its own deletion date.
    outbox.notification_create_addressed(
        kind=EventKind.DRAFT_REMINDER,
        recipient=claim.claimant,
        claim=claim,
        draft_started_on=timezone.localdate(claim.created_at),
        draft_deleted_on=deleted_on,
        event_key=f"draft-reminder:{claim.pk}:{deleted_on.isoformat()}",
    )


def claim_draft_purged(
    sender, *, claim_id, patient: User, started_at: datetime.datetime, **kwargs
) -> None:
    # No claim on the row: the draft is deleted in this transaction. The date is all it tells.
    outbox.notification_create_addressed(
        kind=EventKind.DRAFT_PURGED,
        recipient=patient,
        draft_started_on=timezone.localdate(started_at),
        event_key=f"draft-purged:{claim_id}",
    )


def connect() -> None:
    from intake import signals

    for signal, receiver in (
        (signals.claim_moved, claim_moved),
        (signals.claim_message_posted, claim_message_posted),
        (signals.authority_changed, authority_changed),
        (signals.advocate_invited, advocate_invited),
        (signals.claim_filed_on_behalf, claim_filed_on_behalf),
        (signals.advocate_invite_requested, advocate_invite_requested),
        (signals.draft_reminder_due, draft_reminder_due),
        (signals.claim_draft_purged, claim_draft_purged),
    ):
        signal.connect(receiver, dispatch_uid=f"notifications.{receiver.__name__}")
