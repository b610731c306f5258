"""The subject access exports' tasks (imported by privacy/tasks.py for autodiscovery), on the
default queue: thin wrappers around privacy/export_services.py.

Building is idempotent (the service locks the request and re-checks its state), so the task
acknowledges late: a worker killed mid-build leaves the message to be delivered again.
"""

from celery import shared_task
from django.utils import timezone

from privacy import export_services
from privacy.export_services import ExportOutcome

__all__ = ["export_build", "exports_purge_expired", "exports_requeue_pending"]

#: Backoff between attempts that failed (the object store down).
RETRY_BASE_SECONDS = 60
RETRY_MAX_SECONDS = 3600


@shared_task(bind=True, acks_late=True, max_retries=None, ignore_result=True)
def export_build(self, export_id: str) -> str:
    """Build one export's zip; after a storage failure, try again with backoff (the request
    counts its attempts and is given up after EXPORT_MAX_ATTEMPTS)."""
    countdown = min(RETRY_BASE_SECONDS * 2**self.request.retries, RETRY_MAX_SECONDS)
    outcome = export_services.export_build(export_id=export_id, retry_in=countdown)
    if outcome == ExportOutcome.RETRY:
        raise self.retry(args=[export_id], countdown=countdown)
    return outcome.value


@shared_task(acks_late=True)
def exports_requeue_pending() -> int:
    """Beat: queue again exports whose build was lost (broker down, worker killed)."""
    return export_services.exports_requeue_pending(now=timezone.now())


@shared_task(acks_late=True)
def exports_purge_expired() -> int:
    """Beat, hourly: delete the zips past their download days (PRIVACY_EXPORT_DAYS)."""
    return export_services.exports_purge_expired(now=timezone.now())
