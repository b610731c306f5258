"""The letters tasks (imported by resolution/tasks.py for autodiscovery), on the default queue:
thin wrappers around resolution/letters_services.py.

Writing a letter is idempotent (the service locks the request and re-checks its state), so the
task acknowledges late: a worker killed mid-letter leaves the message to be delivered again.
"""

from celery import shared_task
from django.utils import timezone

from resolution import letters_services
from resolution.letters_services import LetterOutcome

__all__ = ["letter_write", "letters_requeue_pending"]

#: Backoff between attempts that failed (the object store down, a row not there yet).
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 1800


@shared_task(bind=True, acks_late=True, max_retries=None)
def letter_write(self, request_id: int) -> str:
    """Draw and store one letter; after a failure, try again with backoff. The request counts its
    attempts and is given up after LETTER_MAX_ATTEMPTS of them, however they ended."""
    countdown = min(RETRY_BASE_SECONDS * 2**self.request.retries, RETRY_MAX_SECONDS)
    outcome = letters_services.letter_write(request_id=request_id, retry_in=countdown)
    if outcome == LetterOutcome.RETRY:
        raise self.retry(args=[request_id], countdown=countdown)
    return outcome.value


@shared_task(acks_late=True)
def letters_requeue_pending() -> int:
    """Beat, every minute: queue again letters long overdue (lost message, killed worker)."""
    return letters_services.letters_requeue_pending(now=timezone.now())
