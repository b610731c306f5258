"""Webhook work done by workers, on the webhooks queue (CELERY_TASK_ROUTES): thin wrappers around
api/webhooks.py. Idempotent: an attempt takes only due pending rows under a lock, so a task run
twice (a redelivery, the sweeper and a countdown meeting) sends once."""

from celery import shared_task

from api import webhooks


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
