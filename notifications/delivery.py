"""Delivery of the outbox's emails: queueing them after commit, publishing, taking rows for
sending, sending, recording, retries, the sweeper, and an administrator's retry of failed ones.

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
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from intake import access as claim_access
from intake.models import Authority, Claim, ClaimStatus
from notifications import emails, recording
from notifications.events import EventKind
from notifications.models import Channel, Notification, State
from portal.models import AuditAction, Role, User
from portal.queueing import queue_after_commit, task_publish
from portal.services import audit_event_record

logger = logging.getLogger(__name__)

#: What queues an email again when its publish is lost (for the log).
_SWEEPER = "the notifications sweeper will send it"


def queue_pending_after_commit(*, keys: list[str]) -> None:
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
    return _answer_each(notification_ids, results)


def _answer_each(
    notification_ids: list[int], results: dict[int, DispatchResult]
) -> dict[int, DispatchResult]:
    """Each id's result; like a second task for the same row, a repeat finds nothing left to do."""
    skipped = DispatchResult(Outcome.SKIPPED)
    seen: set[int] = set()
    answer: dict[int, DispatchResult] = {}
    for notification_id in notification_ids:
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
        results[notification.pk] = _send(notification, connection=connection)
        if results[notification.pk].outcome == Outcome.SENT:
            sent.append(notification.pk)
    if sent:
        notifications_record_sent(notification_ids=sent, sent_at=timezone.now())
    return results


def _send(notification: Notification, *, connection) -> DispatchResult:
    """Send one taken email over the shared connection; a failure is written to its row."""
    try:
        connection.open()  # kept open across the batch; reopened after a failure
        message = emails.notification_email(notification)
        message.connection = connection
        message.send()
    except Exception as error:  # backends' errors vary (SMTP, sockets, a provider's API)
        with contextlib.suppress(Exception):
            connection.close()  # the server may have dropped it; the next one reopens
        return _dispatch_failed(notification, error)
    return DispatchResult(Outcome.SENT)


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
    queued = _publish_in_tasks(ids)
    _hold_back(queued, now=now)
    return len(queued)


def _publish_in_tasks(ids: list[int]) -> list[int]:
    """Publish the ids NOTIFICATION_DISPATCH_BATCH to a task, until the broker refuses one;
    returns those published."""
    queued = []
    per_task = settings.NOTIFICATION_DISPATCH_BATCH
    for start in range(0, len(ids), per_task):
        batch = ids[start : start + per_task]
        if not notifications_publish(notification_ids=batch):
            break
        queued += batch
    return queued


def _hold_back(queued: list[int], *, now: datetime) -> None:
    """Not queued again before another grace period has passed. Rows a worker holds locked are
    being sent: left alone, so the sweep never waits for a worker (nor a worker on the sweep for
    longer than this one statement)."""
    with transaction.atomic():
        waiting = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk__in=queued, state=State.PENDING)
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=list(waiting)).update(next_attempt_at=now)


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
