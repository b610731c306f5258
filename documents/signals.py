"""Receivers for signals sent by code outside the app (Celery, intake), connected in
DocumentsConfig."""

import logging

from django.utils.translation import gettext as _

from documents.models import DocumentCategory, ScanStatus
from documents.scanner import scanner_check_now
from documents.services import documents_delete_for_draft
from intake.services import ClaimError

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


def authority_form_required_to_submit(sender=None, *, claim, user, **kwargs) -> None:
    """An advocate submits a claim they filed only with the patient's signed authority form
    among its documents, not found infected or unscannable: the insurer checks it first."""
    if claim.filed_by_id != user.pk:
        return
    usable_forms = claim.documents.filter(category=DocumentCategory.AUTHORITY_FORM).exclude(
        scan_status__in=[ScanStatus.INFECTED, ScanStatus.UNSCANNABLE]
    )
    if not usable_forms.exists():
        raise ClaimError(
            _(
                "Send the patient's signed authority form before you submit: the insurer "
                "checks it before working the claim."
            )
        )
