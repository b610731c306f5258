"""Writes for notifications: the outbox rows of each event, their delivery, the sweeper, the daily
digest, read marks and preferences.

notification_create_for_event runs inside the transaction of the change it announces, so a
notification exists exactly when the change does. Emails are queued to the notify queue after
commit; when the broker is down the rows stay pending and notifications_sweep_undelivered queues
them later.

Delivery takes a row for sending (pending -> sending, under a lock, committed) before it sends,
and records it sent after, in a transaction of its own retried on passing database errors. So
however often a row is queued its email goes out once, and a failure to record a send retries the
record, never the send. Only a worker lost between its send and its record leaves the email to be
sent again, by the sweeper, with the same Message-ID for the receiving side to drop the repeat.
"""

import contextlib
import enum
import functools
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from intake import access as claim_access
from intake.models import Authority, Claim, ClaimStatus
from notifications import emails, recording, selectors
from notifications.events import (
    ADDRESSED_EMAILS,
    EVENTS,
    Audience,
    Event,
    EventKind,
    event_for_transition,
    is_mandatory,
    kinds_for_role,
)
from notifications.models import Channel, EmailDigest, Notification, NotificationPreference, State
from portal.models import AuditAction, Role, User
from portal.queueing import queue_after_commit, task_publish
from portal.selectors import triage_leads_of
from portal.services import audit_event_record

logger = logging.getLogger(__name__)


# --- Creating the rows of an event --------------------------------------------------------------


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
            if channel == Channel.IN_APP:
                state = State.SENT  # shown in the centre as soon as the change commits
            elif user.pk in digest_users and not mandatory:
                state = State.DIGEST
            else:
                state = State.PENDING
            rows.append(
                Notification(
                    recipient=user,
                    channel=channel,
                    kind=kind,
                    title=str(event.titles[audience]),
                    claim=claim,
                    state=state,
                    idempotency_key=f"{event_key}:{user.pk}:{channel}"[:200],
                    created_at=now,
                    next_attempt_at=now,
                    sent_at=now if channel == Channel.IN_APP else None,
                )
            )
    # A replayed event (the same key) adds nothing.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    _queue_after_commit(keys=[row.idempotency_key for row in rows if row.state == State.PENDING])
    return [row.idempotency_key for row in rows]


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
    _queue_after_commit(keys=[key])
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
    """Tell the uploader a document passed the virus check, or was refused or not checkable."""
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


# --- Delivery -----------------------------------------------------------------------------------

#: What queues an email again when its publish is lost (for the log).
_SWEEPER = "the notifications sweeper will send it"


def _queue_after_commit(*, keys: list[str]) -> None:
    """Queue, once the caller's transaction commits, the pending emails with these idempotency
    keys, as one task (their ids are read now: bulk_create does not return them here)."""
    if not keys:
        return
    ids = list(
        Notification.objects.filter(
            idempotency_key__in=keys, state=State.PENDING, channel=Channel.EMAIL
        ).values_list("pk", flat=True)
    )
    _queue_ids_after_commit(ids)


def _queue_ids_after_commit(ids: list[int]) -> None:
    if settings.NOTIFICATIONS_DELIVER_IN_PROCESS:
        transaction.on_commit(functools.partial(notifications_publish, notification_ids=ids))
    elif len(ids) == 1:
        queue_after_commit(tasks().notification_dispatch, ids[0], sweeper=_SWEEPER)
    elif ids:
        queue_after_commit(tasks().notifications_dispatch_batch, ids, sweeper=_SWEEPER)


def notifications_publish(*, notification_ids: list[int]) -> bool:
    """Queue the delivery of these emails now, as one task. A broker that is down does not fail
    the caller: the rows stay pending for the sweeper. Returns whether they were queued."""
    if not notification_ids:
        return False
    if len(notification_ids) == 1:
        return _publish(tasks().notification_dispatch, notification_ids[0])
    return _publish(tasks().notifications_dispatch_batch, notification_ids)


def notification_retry_later(*, notification_id: int, countdown: int) -> bool:
    """Queue another attempt at one email after `countdown` seconds (its row already says when,
    so the sweeper takes over if this is lost)."""
    return _publish(tasks().notification_dispatch, notification_id, countdown=countdown)


def _publish(task, argument, *, countdown: int | None = None) -> bool:
    if settings.NOTIFICATIONS_DELIVER_IN_PROCESS:
        task.apply(args=[argument])
        return True
    options = {"countdown": countdown} if countdown else None
    return task_publish(task, argument, sweeper=_SWEEPER, options=options)


def tasks():
    """The notification tasks module (it imports this one, so it is looked up when needed)."""
    from notifications import tasks as module

    return module


class Outcome(enum.StrEnum):
    SENT = "sent"
    #: Nothing to do: gone, not an email, or no longer pending (already sent: a repeat).
    SKIPPED = "skipped"
    #: A passing failure; try again after `retry_in` seconds.
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class DispatchResult:
    outcome: Outcome
    retry_in: int = 0


def retry_countdown(attempts: int) -> int:
    """Exponential backoff after `attempts` failed attempts: base, 2x base, 4x... capped."""
    base = settings.NOTIFICATION_RETRY_BASE_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), settings.NOTIFICATION_RETRY_MAX_SECONDS)


#: How many of a task's rows are taken for sending in one short transaction, and marked sent with
#: one UPDATE after their sends (a task's rows, NOTIFICATION_DISPATCH_BATCH of a sweep, are taken
#: this many at a time). A worker lost part-way sends again (with the same Message-ID) at most the
#: taken emails it had sent and not yet marked; large enough that taking and marking cost little
#: per email.
ROWS_TAKEN_AT_ONCE = 25


def notification_dispatch(*, notification_id: int) -> DispatchResult:
    """Send one pending email and mark it sent. Idempotent: the row is taken for sending under a
    lock first, so a repeated or redelivered task sends nothing more. A refused address fails it
    at once; other failures are retried with backoff up to NOTIFICATION_MAX_ATTEMPTS."""
    return notifications_dispatch_batch(notification_ids=[notification_id])[notification_id]


def notifications_dispatch_batch(*, notification_ids: list[int]) -> dict[int, DispatchResult]:
    """Send pending emails over one connection to the mail server, ROWS_TAKEN_AT_ONCE at a time;
    one failing is marked on its own and does not hold back the others. Returns each id's result
    (a repeated id: SKIPPED, its row already handled)."""
    results: dict[int, DispatchResult] = {}
    unique = list(dict.fromkeys(notification_ids))
    connection = get_connection()
    try:
        for start in range(0, len(unique), ROWS_TAKEN_AT_ONCE):
            some = unique[start : start + ROWS_TAKEN_AT_ONCE]
            results |= _take_send_and_record(some, connection=connection)
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    skipped = DispatchResult(Outcome.SKIPPED)
    seen: set[int] = set()
    answer: dict[int, DispatchResult] = {}
    for notification_id in notification_ids:
        # Like a second task for the same row, the repeat finds nothing left to do.
        answer[notification_id] = (
            skipped if notification_id in seen else results.get(notification_id, skipped)
        )
        seen.add(notification_id)
    return answer


def _take_send_and_record(ids: list[int], *, connection) -> dict[int, DispatchResult]:
    """Take these pending rows, send each, then record the sent ones. The send happens
    outside any transaction, so a failure to record it cannot undo the record that it was taken:
    the row stays SENDING, which nothing sends again, while the record is retried."""
    taken, results = _take_for_sending(ids)
    taken_at = time.monotonic()
    sent: list[int] = []
    for index, notification in enumerate(taken):
        # Each take sends at least one, so a task always gets somewhere.
        if index and time.monotonic() - taken_at > _send_budget_seconds():
            results |= _give_back_untried(taken[index:])
            break
        try:
            connection.open()  # kept open across the batch; reopened after a failure
            message = emails.notification_email(notification)
            message.connection = connection
            message.send()
        except Exception as error:  # backends' errors vary (SMTP, sockets, a provider's API)
            results[notification.pk] = _dispatch_failed(notification, error)
            with contextlib.suppress(Exception):
                connection.close()  # the server may have dropped it; the next one reopens
            continue
        sent.append(notification.pk)
        results[notification.pk] = DispatchResult(Outcome.SENT)
    if sent:
        notifications_record_sent(notification_ids=sent, sent_at=timezone.now())
    return results


def _take_for_sending(ids: list[int]) -> tuple[list[Notification], dict[int, DispatchResult]]:
    """In one short transaction, lock the rows still pending (in id order, so two workers given
    overlapping rows cannot deadlock), withdraw those whose recipient may no longer see the
    claim, and mark the rest SENDING with their attempt counted. A row another worker has taken
    waits for its transaction, then is skipped."""
    results: dict[int, DispatchResult] = {}
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient", "claim")
            .only(*emails.NOTIFICATION_EMAIL_FIELDS, "state", "attempts")
            .filter(pk__in=ids, channel=Channel.EMAIL, state=State.PENDING)
            .order_by("pk")
        )
        taken: list[Notification] = []
        withdrawn: list[int] = []
        for notification in rows:
            if _recipient_still_concerned(notification):
                notification.attempts += 1
                notification.state = State.SENDING
                taken.append(notification)
            else:
                withdrawn.append(notification.pk)
                results[notification.pk] = DispatchResult(Outcome.SKIPPED)
        if taken:
            # next_attempt_at: when it was taken, from which the sweeper counts its grace.
            Notification.objects.filter(pk__in=[n.pk for n in taken]).update(
                state=State.SENDING, attempts=F("attempts") + 1, next_attempt_at=timezone.now()
            )
        if withdrawn:
            Notification.objects.filter(pk__in=withdrawn).update(state=State.WITHDRAWN)
    return taken, results


def _send_budget_seconds() -> float:
    """How long a worker goes on sending the rows it took: half the sweeper's grace, so a slow
    mail server never lets the sweeper hand a row this worker is still to send to another."""
    return settings.NOTIFICATION_REQUEUE_MINUTES * 60 / 2


def _give_back_untried(notifications: list[Notification]) -> dict[int, DispatchResult]:
    """Back to pending, not counted as an attempt, for a later task."""
    ids = [n.pk for n in notifications]
    recording.write_with_retry(
        lambda: Notification.objects.filter(pk__in=ids, state=State.SENDING).update(
            state=State.PENDING, attempts=F("attempts") - 1, next_attempt_at=timezone.now()
        ),
        what=f"{len(ids)} email(s) given back",
    )
    later = DispatchResult(Outcome.RETRY, retry_in=settings.NOTIFICATION_RETRY_BASE_SECONDS)
    return dict.fromkeys(ids, later)


#: The states a sent email can be recorded from: taken by a worker, or given back to pending by
#: the sweeper while the record was on its way.
_RECORDABLE = (State.SENDING, State.DIGESTING, State.PENDING)


def notifications_record_sent(*, notification_ids: list[int], sent_at: datetime) -> bool:
    """Record emails that have gone as sent, retrying passing database errors. If the database
    stays out of reach, the record is queued for a worker to retry (the rows meanwhile stay
    SENDING, which nothing sends again). Returns whether it was written here."""
    if _write_sent(notification_ids, sent_at):
        return True
    logger.error(
        "Could not record %d sent email(s); queued to record them later.", len(notification_ids)
    )
    _record_sent_later(notification_ids, sent_at)
    return False


def _write_sent(notification_ids: list[int], sent_at: datetime) -> bool:
    return recording.write_with_retry(
        lambda: notifications_mark_sent(notification_ids=notification_ids, sent_at=sent_at),
        what=f"{len(notification_ids)} sent email(s)",
    )


def notifications_mark_sent(*, notification_ids: list[int], sent_at: datetime) -> int:
    """One try at marking emails that have gone as sent (the record task retries it itself)."""
    return Notification.objects.filter(pk__in=notification_ids, state__in=_RECORDABLE).update(
        state=State.SENT, sent_at=sent_at, last_error=""
    )


def _record_sent_later(notification_ids: list[int], sent_at: datetime) -> None:
    # Through the broker even when delivering in process: a worker retries it until the database
    # answers. Database and broker both out of reach: the rows stay SENDING until the sweeper
    # presumes their worker lost, and are then sent again with the same Message-ID.
    task_publish(
        tasks().notifications_record_sent,
        notification_ids,
        sent_at.isoformat(),
        sweeper="the sweeper sends them again, with their Message-ID, once their worker is "
        "presumed lost",
        options={"countdown": 1},
    )


def _recipient_still_concerned(notification: Notification) -> bool:
    """An advocate's authority can end between the change and the email (a broker that was down,
    a retry): their email about the claim then stays unsent. Other people's access to a claim
    does not end that way, so only advocates pay for the check. An invitation withdrawn or lapsed
    meanwhile is not sent either, nor a draft's reminder once the draft was sent or touched."""
    if notification.kind == EventKind.ADVOCATE_INVITATION:
        return Authority.objects.invitations_open().filter(pk=notification.authority_id).exists()
    if notification.kind == EventKind.DRAFT_REMINDER:
        return Claim.objects.filter(
            pk=notification.claim_id, status=ClaimStatus.DRAFT, draft_reminded_at__isnull=False
        ).exists()
    if notification.claim_id is None or notification.recipient.role != Role.ADVOCATE:
        return True
    return claim_access.claim_may_view(notification.recipient, notification.claim)


def _dispatch_failed(notification: Notification, error: Exception) -> DispatchResult:
    """Give the row back after a failed send: failed for good, or pending until its retry."""
    last_error = emails.describe(error)
    exhausted = notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
    if emails.is_permanent(error) or exhausted:
        _write_failure(notification, state=State.FAILED, last_error=last_error)
        logger.warning(
            "Notification %s failed after %d attempt(s)", notification.pk, notification.attempts
        )
        return DispatchResult(Outcome.FAILED)
    retry_in = retry_countdown(notification.attempts)
    # The sweeper leaves it alone until then: the retry is already on its way.
    _write_failure(
        notification,
        state=State.PENDING,
        last_error=last_error,
        next_attempt_at=timezone.now() + timedelta(seconds=retry_in),
    )
    return DispatchResult(Outcome.RETRY, retry_in=retry_in)


def _write_failure(notification: Notification, **fields) -> None:
    """Nothing was sent, so a failure to write this is harmless: the row stays SENDING and the
    sweeper gives it back to pending later."""
    recording.write_with_retry(
        lambda: Notification.objects.filter(pk=notification.pk, state=State.SENDING).update(
            **fields
        ),
        what=f"the failure of notification {notification.pk}",
    )


def notifications_sweep_undelivered(*, now: datetime | None = None) -> int:
    """Queue again the emails still pending NOTIFICATION_REQUEUE_MINUTES after they were due (a
    publish lost while the broker was down, a worker gone). Returns how many were queued.

    An email taken for sending that long ago whose worker never said how it went is given back to
    pending, and queued one grace period later: the worker may have sent it and be retrying its
    record, or have died before or after sending. Only in that last case is it sent twice, with
    the same Message-ID."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.NOTIFICATION_REQUEUE_MINUTES)
    _give_back_presumed_lost(cutoff=cutoff, now=now)
    ids = list(
        Notification.objects.filter(
            state=State.PENDING, channel=Channel.EMAIL, next_attempt_at__lt=cutoff
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[: settings.NOTIFICATION_SWEEP_BATCH]
    )
    queued = []
    per_task = settings.NOTIFICATION_DISPATCH_BATCH
    for start in range(0, len(ids), per_task):
        batch = ids[start : start + per_task]
        if not notifications_publish(notification_ids=batch):
            break
        queued += batch
    # Not queued again before another grace period has passed. Rows a worker holds locked are
    # being sent: left alone, so the sweep never waits for a worker (nor a worker on the sweep
    # for longer than this one statement).
    with transaction.atomic():
        waiting = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk__in=queued, state=State.PENDING)
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=list(waiting)).update(next_attempt_at=now)
    return len(queued)


def _give_back_presumed_lost(*, cutoff: datetime, now: datetime) -> None:
    """SENDING rows taken before `cutoff` back to pending, due from `now`; one whose every
    attempt was lost this way (an email that kills its worker, say) fails instead, for an
    administrator to see."""
    lost = Notification.objects.filter(
        state=State.SENDING, channel=Channel.EMAIL, next_attempt_at__lt=cutoff
    )
    lost.filter(attempts__gte=settings.NOTIFICATION_MAX_ATTEMPTS).update(
        state=State.FAILED, last_error=WORKER_LOST_ERROR
    )
    lost.update(state=State.PENDING, next_attempt_at=now)


#: What administrators read of an email whose workers were all lost while sending it.
WORKER_LOST_ERROR = "Every attempt ended with the sending worker lost before it reported back."


def notifications_retry_failed(*, notifications: QuerySet[Notification], actor: User) -> int:
    """An administrator sends failed emails again: back to pending, queued after commit."""
    with transaction.atomic():
        ids = list(
            notifications.select_for_update()
            .filter(state=State.FAILED, channel=Channel.EMAIL)
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=ids).update(
            state=State.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        for notification_id in ids:
            audit_event_record(
                action=AuditAction.CHANGE,
                actor=actor,
                object_type="notifications.notification",
                object_id=str(notification_id),
                detail={"retry": True},
            )
        _queue_ids_after_commit(ids)
    return len(ids)


# --- The daily digest ---------------------------------------------------------------------------


def notification_digests_send(*, now: datetime | None = None) -> int:
    """Send each person with emails held for the digest one email listing them, and mark those
    sent. Safe to repeat: the rows are taken for sending first, and sent rows are not listed again.
    A digest whose worker was lost is sent again as it was, with the same Message-ID. Returns the
    count."""
    now = now or timezone.now()
    lost_before = now - timedelta(minutes=settings.NOTIFICATION_REQUEUE_MINUTES)
    user_ids = list(
        _digest_rows(lost_before=lost_before).values_list("recipient_id", flat=True).distinct()
    )
    sent = 0
    for user_id in user_ids:
        held = _take_digest(user_id=user_id, lost_before=lost_before, now=now)
        if held and _send_digest(user_id=user_id, held=held, now=now):
            sent += 1
    return sent


def _digest_rows(*, lost_before: datetime) -> QuerySet[Notification]:
    """Rows held for a digest, and rows of a digest whose worker is presumed lost."""
    return Notification.objects.filter(
        Q(state=State.DIGEST) | Q(state=State.DIGESTING, next_attempt_at__lt=lost_before)
    )


def _take_digest(*, user_id: int, lost_before: datetime, now: datetime) -> list[Notification]:
    """Lock and mark DIGESTING the rows of one person's digest: a lost digest's rows alone if
    there is one (so its repeat lists the same rows under the same Message-ID), else those held."""
    with transaction.atomic():
        rows = (
            _digest_rows(lost_before=lost_before)
            .select_for_update(of=("self",), skip_locked=True)
            .select_related("claim", "recipient")
            .filter(recipient_id=user_id)
            .order_by("created_at", "id")
        )
        held = list(rows)
        lost = [n for n in held if n.state == State.DIGESTING]
        held = lost or held
        Notification.objects.filter(pk__in=[n.pk for n in held]).update(
            state=State.DIGESTING, next_attempt_at=now
        )
    return held


def _send_digest(*, user_id: int, held: list[Notification], now: datetime) -> bool:
    ids = [n.pk for n in held]
    key = f"digest:{user_id}:{held[-1].pk}"
    try:
        emails.digest_email(user=held[0].recipient, notifications=held, key=key).send()
    except Exception as error:  # kept for tomorrow's digest; administrators see why
        last_error = emails.describe(error)
        recording.write_with_retry(
            lambda: Notification.objects.filter(pk__in=ids, state=State.DIGESTING).update(
                state=State.DIGEST, last_error=last_error
            ),
            what=f"the failed digest of user {user_id}",
        )
        logger.warning("The digest for user %s could not be sent", user_id)
        return False
    notifications_record_sent(notification_ids=ids, sent_at=now)
    recording.write_with_retry(
        lambda: EmailDigest.objects.filter(user_id=user_id).update(last_sent_at=now),
        what=f"the digest time of user {user_id}",
    )
    return True


# --- The notification centre and preferences ---------------------------------------------------


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read; anyone else's answers 404 (audited)."""
    notification = selectors.notification_get_for_user(user=user, notification_id=notification_id)
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=now, state=State.READ
        )
        notification.read_at, notification.state = now, State.READ
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user read; returns how many."""
    return (
        selectors.notifications_for_user(user=user)
        .filter(read_at__isnull=True)
        .update(read_at=timezone.now(), state=State.READ)
    )


def notification_preferences_save(
    *, user: User, enabled: set[tuple[str, str]], digest: bool | None = None
) -> None:
    """Save which (kind, channel) pairs the user wants, among the kinds their role hears of;
    mandatory kinds stay on whatever is sent. `digest` (staff only) switches the daily digest."""
    for kind in kinds_for_role(user.role):
        if is_mandatory(kind, user.role):
            continue
        for channel in Channel.values:
            NotificationPreference.objects.update_or_create(
                user=user,
                kind=kind,
                channel=channel,
                defaults={"enabled": (kind, channel) in enabled},
            )
    if digest is not None and user.is_insurer_staff:
        EmailDigest.objects.update_or_create(user=user, defaults={"enabled": digest})
    audit_event_record(
        action=AuditAction.CHANGE,
        actor=user,
        object_type="notifications.preferences",
        object_id=str(user.pk),
    )
