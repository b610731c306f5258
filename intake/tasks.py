"""Periodic work on claims; thin wrappers around services. (Intake's emails about advocates go
through the notifications outbox, delivered by the notify queue's workers.)"""

from celery import shared_task
from django.utils import timezone

from intake.services import drafts_remind_and_purge


@shared_task(acks_late=True)
def drafts_remind_and_purge_task() -> dict:
    """Remind about stale drafts and delete abandoned ones (see the service); safe to repeat."""
    return drafts_remind_and_purge(now=timezone.now())._asdict()
