"""Housekeeping tasks of the portal app."""

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task(acks_late=True)
def sessions_clear_expired() -> int:
    """Delete expired sessions; safe to repeat. Returns how many were deleted."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task
def worker_echo(value: str) -> str:
    """Return `value`: lets operators and tests prove a worker consumes from the broker."""
    return value
