"""Document tasks, all on the scan queue (CELERY_TASK_ROUTES); thin wrappers around services.

Each is idempotent (the service locks the row and re-checks its state) and acknowledged late, so
a worker killed mid-scan leaves the message to be delivered again and the scan completes then.
"""

import uuid

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from documents import services
from documents.scanner import ScannerUnavailable
from documents.services import ScanOutcome


def scan_retry_countdown(retries: int) -> int:
    """Exponential backoff: base, 2x base, 4x base... capped at DOCUMENT_SCAN_RETRY_MAX_SECONDS."""
    return min(
        settings.DOCUMENT_SCAN_RETRY_BASE_SECONDS * 2**retries,
        settings.DOCUMENT_SCAN_RETRY_MAX_SECONDS,
    )


@shared_task(bind=True, acks_late=True, max_retries=None)
def document_scan_run(self, document_id: str, failures: int = 0) -> str:
    """Scan one pending document; while clamd or S3 is unavailable, retry with backoff, then
    leave the document in `error` for the triage lead.

    `failures` counts this task's scans that clamd or S3 kept from a verdict, and nothing else:
    Celery's own retry count also grows when a database error runs the task again (PortalTask),
    and that must never bring a document closer to `error` while clamd is healthy.
    """
    countdown = scan_retry_countdown(failures)
    outcome = services.document_scan_run(document_id=uuid.UUID(document_id), retry_in=countdown)
    if outcome != ScanOutcome.RETRY:
        return outcome.value
    if failures >= settings.DOCUMENT_SCAN_MAX_RETRIES:
        return services.document_scan_give_up(document_id=uuid.UUID(document_id)).value
    raise self.retry(args=[document_id], kwargs={"failures": failures + 1}, countdown=countdown)


@shared_task(bind=True, acks_late=True, max_retries=None)
def document_rescan_run(self, document_id: str, failures: int = 0) -> str:
    """Rescan one clean document with the current signatures (its failures counted as above)."""
    outcome = services.document_rescan_run(document_id=uuid.UUID(document_id))
    if outcome == ScanOutcome.RETRY and failures < settings.DOCUMENT_SCAN_MAX_RETRIES:
        raise self.retry(
            args=[document_id],
            kwargs={"failures": failures + 1},
            countdown=scan_retry_countdown(failures),
        )
    return outcome.value


@shared_task(acks_late=True)
def documents_rescan_if_signatures_changed() -> int:
    """Beat: queue rescans of clean documents of open claims scanned with older signatures."""
    try:
        return services.documents_rescan_queue()
    except ScannerUnavailable:
        return 0  # the next beat tries again


@shared_task(acks_late=True)
def documents_requeue_pending() -> int:
    """Beat, every minute: queue again scans long overdue (lost message, killed worker)."""
    return services.documents_requeue_pending(now=timezone.now())


@shared_task(acks_late=True)
def documents_purge_infected() -> int:
    """Beat: delete infected files kept past their retention."""
    return services.documents_purge_infected(now=timezone.now())


@shared_task(acks_late=True)
def document_reap_orphans() -> int:
    """Beat: delete objects no document refers to."""
    return services.document_reap_orphans(now=timezone.now())
