"""Receivers for signals sent by code outside the app (Celery, intake), connected in
DocumentsConfig."""

import logging

from documents.scanner import scanner_check_now
from documents.services import documents_delete_for_draft

logger = logging.getLogger(__name__)


def scanner_check_on_worker_start(sender=None, **kwargs) -> None:
    """When a worker starts, check its clamd (EICAR found, limits reported) and say so in the
    log. A failing clamd does not stop the worker: scans stay pending and retry, each attempt
    checking again, and /health/ reports the same check."""
    result = scanner_check_now()
    if result.ok:
        logger.info("The virus scanner passed its check.")
    else:
        logger.error(
            "The virus scanner failed its check (%s); documents stay pending until it passes.",
            result.detail,
        )


def documents_delete_with_draft(sender=None, *, claim, **kwargs) -> int:
    """Intake is deleting a stale draft: its documents go with it, in the same transaction, so
    a draft that cannot be deleted keeps them. Returns how many went, for the draft's audit row."""
    return documents_delete_for_draft(claim=claim)
