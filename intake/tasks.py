"""Periodic work on claims; thin wrappers around services."""

from celery import shared_task
from django.utils import timezone

from intake.authorities import (
    advocate_invite_request_send,
    authority_invitation_send,
    patient_takeover_send,
)
from intake.services import drafts_remind_and_purge


@shared_task(acks_late=True)
def drafts_remind_and_purge_task() -> dict:
    """Remind about stale drafts and delete abandoned ones (see the service); safe to repeat."""
    return drafts_remind_and_purge(now=timezone.now())._asdict()


@shared_task(acks_late=True, ignore_result=True)
def authority_invitation_send_task(authority_id: str) -> None:
    """Email an advocate their invitation (nothing is sent for one withdrawn meanwhile)."""
    authority_invitation_send(authority_id=authority_id)


@shared_task(acks_late=True, ignore_result=True)
def patient_takeover_send_task(claim_id: str) -> None:
    """Tell a patient an advocate has filed a claim for them and how to take over."""
    patient_takeover_send(claim_id=claim_id)


@shared_task(acks_late=True, ignore_result=True)
def advocate_invite_request_send_task(patient_id: str, advocate_id: str) -> None:
    """Ask a patient who has an account to invite the advocate who tried to file for them."""
    advocate_invite_request_send(patient_id=patient_id, advocate_id=advocate_id)
