"""Notification work done by workers, all on the notify queue (CELERY_TASK_ROUTES); thin wrappers
around delivery and digests. Each is idempotent and acknowledged late: a worker lost mid-send
leaves the message to be delivered again, and the locked, re-checked row keeps the email to one."""

from celery import shared_task
from django.utils.dateparse import parse_datetime

from notifications import delivery, digests
from notifications.delivery import Outcome
from portal.database_errors import (
    TRANSIENT_DATABASE_ERRORS,
    discard_broken_connections,
    is_transient,
)

#: The record task's backoff ceiling: short, so a record queued while the database was out of
#: reach lands well within the sweeper's grace period once it is back.
RECORD_RETRY_MAX_SECONDS = 30


# ignore_result: nobody waits for these results, and publishing then needs the broker alone (with
# a Redis result backend, a publish would otherwise also wait on the backend while Redis is down).
@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def notification_dispatch(self, notification_id: int) -> str:
    """Send one pending email; a passing failure is retried with backoff (the service counts the
    attempts and fails the row after the last one)."""
    result = delivery.notification_dispatch(notification_id=notification_id)
    if result.outcome == Outcome.RETRY:
        raise self.retry(countdown=result.retry_in)
    return result.outcome.value


@shared_task(acks_late=True, ignore_result=True)
def notifications_dispatch_batch(notification_ids: list[int]) -> None:
    """Send several emails over one mail-server connection (an event's, or a sweep's batch);
    each that fails for now is retried on its own, with backoff."""
    results = delivery.notifications_dispatch_batch(notification_ids=notification_ids)
    for notification_id, result in results.items():
        if result.outcome == Outcome.RETRY:
            delivery.notification_retry_later(
                notification_id=notification_id, countdown=result.retry_in
            )


@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def notifications_record_sent(self, notification_ids: list[int], sent_at: str) -> int:
    """Record emails that went out as sent, when the sending worker could not (the database was
    out of reach). Retried until the database answers; the rows meanwhile stay SENDING, which
    nothing sends again."""
    try:
        return delivery.notifications_mark_sent(
            notification_ids=notification_ids, sent_at=parse_datetime(sent_at)
        )
    except TRANSIENT_DATABASE_ERRORS as error:
        if not is_transient(error):
            raise  # "no such table" and the like: no retry mends it
        discard_broken_connections()
        countdown = min(2**self.request.retries, RECORD_RETRY_MAX_SECONDS)
        raise self.retry(exc=error, countdown=countdown) from error


@shared_task(acks_late=True)
def notifications_sweep_undelivered() -> int:
    """Beat: queue again emails left pending (the broker was down when the change committed)."""
    return delivery.notifications_sweep_undelivered()


@shared_task(acks_late=True)
def notification_digests_send() -> int:
    """Beat, daily: one email per person who chose the digest, listing their held events."""
    return digests.notification_digests_send()
