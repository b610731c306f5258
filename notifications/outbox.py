"""The outbox: the notification rows of each event, written in the transaction of the change
they announce, so a notification exists exactly when the change does (an event told to its
audiences, a lifecycle move, a document's verdict, a triage alert, an addressed email). Their
emails are queued after commit by delivery; when the broker is down the rows stay pending for the
sweeper."""

import uuid
from collections.abc import Iterable
from datetime import date

from django.utils import timezone

from intake import access as claim_access
from intake.models import Authority, Claim
from notifications import delivery
from notifications.events import (
    ADDRESSED_EMAILS,
    EVENTS,
    Audience,
    Event,
    EventKind,
    event_for_transition,
)
from notifications.models import Channel, EmailDigest, Notification, NotificationPreference, State
from portal.models import User
from portal.selectors import triage_leads_of


def notification_create_for_event(
    *,
    kind: str,
    event_key: str,
    claim: Claim | None = None,
    actor: User | None = None,
    recipients: Iterable[User] = (),
) -> list[str]:
    """Create the event's outbox rows in the caller's transaction: one per recipient and channel,
    for everyone the event concerns who may see the claim and has not switched it off (mandatory
    events ignore preferences). Emails are queued after commit. `event_key` names this occurrence
    (e.g. "status-change:42"); `recipients` are the people the NAMED audience stands for.
    Returns the rows' idempotency keys."""
    event = EVENTS[kind]
    targets = _recipients(event, claim=claim, actor=actor, named=list(recipients))
    if not targets:
        return []
    rows = _rows_for(event, kind=kind, event_key=event_key, claim=claim, targets=targets)
    # A replayed event (the same key) adds nothing.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    delivery.queue_pending_after_commit(
        keys=[row.idempotency_key for row in rows if row.state == State.PENDING]
    )
    return [row.idempotency_key for row in rows]


def _rows_for(
    event: Event, *, kind: str, event_key: str, claim: Claim | None, targets: list[tuple[User, str]]
) -> list[Notification]:
    """The unsaved rows of the event: one per person and channel they have not switched off."""
    user_ids = [user.pk for user, _audience in targets]
    switched_off = set(
        NotificationPreference.objects.filter(
            user_id__in=user_ids, kind=kind, enabled=False
        ).values_list("user_id", "channel")
    )
    digest_users = set(
        EmailDigest.objects.filter(user_id__in=user_ids, enabled=True).values_list(
            "user_id", flat=True
        )
    )
    now = timezone.now()
    rows = []
    for user, audience in targets:
        mandatory = audience in event.mandatory_for
        for channel in Channel.values:
            if not mandatory and (user.pk, channel) in switched_off:
                continue
            rows.append(
                Notification(
                    recipient=user,
                    channel=channel,
                    kind=kind,
                    title=str(event.titles[audience]),
                    claim=claim,
                    state=_first_state(channel, digest=user.pk in digest_users and not mandatory),
                    idempotency_key=f"{event_key}:{user.pk}:{channel}"[:200],
                    created_at=now,
                    next_attempt_at=now,
                    sent_at=now if channel == Channel.IN_APP else None,
                )
            )
    return rows


def _first_state(channel: str, *, digest: bool) -> str:
    if channel == Channel.IN_APP:
        return State.SENT  # shown in the centre as soon as the change commits
    return State.DIGEST if digest else State.PENDING


def notification_create_addressed(
    *,
    kind: str,
    event_key: str,
    recipient: User | None = None,
    recipient_email: str = "",
    claim: Claim | None = None,
    authority: Authority | None = None,
    actor: User | None = None,
    draft_started_on: date | None = None,
    draft_deleted_on: date | None = None,
) -> str:
    """Create one addressed email (ADDRESSED_EMAILS: an invitation, a take-over link, a draft's
    reminder or deletion notice) in the caller's transaction, to `recipient` or, for someone who
    may have no account, to `recipient_email`; sent whatever the preferences, queued after
    commit. Nothing secret is stored: its link is made when it is sent. Returns the row's
    idempotency key."""
    if kind not in ADDRESSED_EMAILS:
        raise ValueError(f"{kind} is told to audiences: use notification_create_for_event.")
    key = event_key[:200]
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=recipient,
                recipient_email="" if recipient else recipient_email,
                channel=Channel.EMAIL,
                kind=kind,
                title=str(EventKind(kind).label),
                claim=claim,
                authority=authority,
                actor=actor,
                draft_started_on=draft_started_on,
                draft_deleted_on=draft_deleted_on,
                state=State.PENDING,
                idempotency_key=key,
            )
        ],
        ignore_conflicts=True,
    )
    delivery.queue_pending_after_commit(keys=[key])
    return key


def _recipients(
    event: Event, *, claim: Claim | None, actor: User | None, named: list[User]
) -> list[tuple[User, str]]:
    """(person, audience) for everyone the event concerns and who may see the claim; the person
    who caused the event is left out unless the event is a receipt for them."""
    found: dict[int, tuple[User, str]] = {}
    for audience in event.audiences:
        for user in _members(audience, claim=claim, named=named):
            found.setdefault(user.pk, (user, audience))
    actor_id = actor.pk if actor else None
    return [
        (user, audience)
        for user, audience in found.values()
        if user.is_active
        and (event.tell_actor or user.pk != actor_id)
        and (claim is None or claim_access.claim_may_view(user, claim))
    ]


def _members(audience: str, *, claim: Claim | None, named: list[User]) -> list[User]:
    if audience == Audience.NAMED:
        return named
    if claim is None:
        return []
    if audience == Audience.PATIENT:
        return [claim.claimant]
    if audience == Audience.ADJUSTER:
        return [claim.assigned_adjuster] if claim.assigned_adjuster_id else []
    if audience == Audience.TRIAGE_LEADS:
        if not claim.insurer_id:
            return []
        return list(triage_leads_of(insurer_id=claim.insurer_id))
    if audience == Audience.ADVOCATE:
        return _advocates_of(claim)
    return []


def _advocates_of(claim: Claim) -> list[User]:
    """Advocates whose authority over `claim` is in force and includes updates."""
    return list(claim_access.advocates_receiving_updates(claim))


def notification_create_for_transition(
    *, claim: Claim, from_status: str, to_status: str, actor: User | None, change_id: int
) -> list[str]:
    """The rows announcing a move of the claim's lifecycle (in the transition's transaction)."""
    kind = event_for_transition(from_status, to_status)
    if kind is None:
        return []
    return notification_create_for_event(
        kind=kind, claim=claim, actor=actor, event_key=f"status-change:{change_id}"
    )


def notification_create_for_document_verdict(*, document) -> list[str]:
    """Tell the uploader a document passed the virus check, or was refused or not checkable. A
    letter the portal wrote is no one's upload: once it passes, the patient and their advocates
    hear that it is ready (the staff member it goes out under sent nothing); a letter that fails
    is for the triage leads' flagged list, not a message to anyone."""
    if document.letter_kind:
        if document.scan_status != "clean" or document.withdrawn_at is not None:
            return []
        return notification_create_for_event(
            kind=EventKind.LETTER_READY, claim=document.claim, event_key=f"letter:{document.pk}"
        )
    kind = {
        "clean": "document_clean",
        "infected": "document_infected",
        "unscannable": "document_unscannable",
    }.get(document.scan_status)
    if kind is None:
        return []
    return notification_create_for_event(
        kind=kind,
        claim=document.claim,
        recipients=[document.uploader],
        event_key=f"document:{document.pk}:{document.scan_status}",
    )


def notification_create_for_alert(*, kind: str, claim: Claim) -> list[str]:
    """Tell the triage leads of the claim's insurer (an overdue claim, a team with no room)."""
    return notification_create_for_event(
        kind=kind, claim=claim, event_key=f"{kind}:{claim.pk}:{uuid.uuid4().hex}"
    )
