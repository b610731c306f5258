"""The API's work done by workers, on the webhooks queue (CELERY_TASK_ROUTES): thin wrappers
around api/webhooks.py and api/idempotency.py. Idempotent: an attempt takes only due pending rows
under a lock, so a task run twice (a redelivery, the sweeper and a countdown meeting) sends once;
the purge deletes only what is already old."""

from celery import shared_task

from api import webhooks
from api.idempotency import idempotent_requests_purge as purge


# ignore_result: nobody waits for these, and publishing then needs the broker alone.
@shared_task(acks_late=True, ignore_result=True)
def webhooks_deliver(delivery_ids: list[str]) -> None:
    """Attempt these deliveries once each; a failure is scheduled again by the service."""
    webhooks.webhooks_deliver(delivery_ids=delivery_ids)


@shared_task(acks_late=True)
def webhooks_sweep_pending() -> int:
    """Beat, every minute: queue deliveries left pending (the broker down at commit, a long
    wait over, a worker lost mid-send)."""
    return webhooks.webhooks_sweep_pending()


@shared_task(acks_late=True)
def idempotent_requests_purge() -> int:
    """Beat, daily: delete Idempotency-Key rows past API_IDEMPOTENCY_DAYS, in batches. Safe to
    run twice: the second finds nothing old left."""
    return purge()
