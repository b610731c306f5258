"""Receivers for signals sent by code outside the app (Celery), connected in DocumentsConfig."""

import logging

from documents.scanner import scanner_check_now

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
