"""Writes for subject access exports: a request recorded (by the patient, or by an administrator
for one that came by post), the zip built by a worker and the patient told, each download
audited, the deadline extended with a reason, and the zip deleted after its download days.

As with letters, the request row is the work: it is recorded in the request's transaction and
its build queued after commit; when the broker is down the row waits and the sweeper (beat)
queues it again. No transaction is held while the zip is written: one short transaction claims
the attempt, one records the result.
"""

import enum
import logging
import uuid
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from documents import objects
from documents.objects import StorageErrors
from notifications.events import EventKind
from notifications.outbox import notification_create_for_event
from portal.models import AuditAction, Role, User
from portal.queueing import queue_after_commit, task_publish
from portal.services import audit_event_record
from privacy.export_archive import export_zip_write
from privacy.export_models import ExportChannel, ExportRequest, ExportState

logger = logging.getLogger(__name__)

#: What takes over a build that could not be queued (named in the log line).
EXPORT_SWEEPER = "exports_requeue_pending will queue it"
#: A requested export this long past its attempt's due time is queued again.
EXPORT_REQUEUE_MINUTES = 10
#: Attempts before a build is given up (failed: administrators see it among open requests).
EXPORT_MAX_ATTEMPTS = 6
#: The month the law gives to answer, and the most it may be extended by (UK GDPR Art. 12(3)).
RESPONSE_MONTHS = 1
MAX_EXTENSION_MONTHS = 2
#: Expired exports deleted per purge batch.
PURGE_BATCH = 200
EXPORT_KEY_PREFIX = "exports/"


class ExportError(Exception):
    """A request that cannot be made as asked; the message says what to do instead."""


class ExportOutcome(enum.StrEnum):
    READY = "ready"
    #: Already built, given up, or no longer there.
    SKIPPED = "skipped"
    #: The object store failed this time; the task tries again later.
    RETRY = "retry"


def export_due_on(received_on: date) -> date:
    return received_on + relativedelta(months=RESPONSE_MONTHS)


def export_request_create(
    *,
    patient: User,
    requested_by: User,
    channel: str = ExportChannel.PORTAL,
    received_on: date | None = None,
) -> ExportRequest:
    """Record a request for a copy of `patient`'s data and queue its build after commit; the
    month runs from `received_on` (today by default; for a letter, the day it arrived).
    Raises ExportError for someone who is not a patient, a date in the future, or while a copy
    is already being prepared."""
    today = timezone.localdate()
    received_on = received_on or today
    if patient.role != Role.PATIENT:
        raise ExportError(_("Only a patient's account has a copy of its data to ask for."))
    if received_on > today:
        raise ExportError(_("The date the request was received cannot be in the future."))
    try:
        with transaction.atomic():
            if ExportRequest.objects.filter(patient=patient, state=ExportState.REQUESTED).exists():
                raise ExportError(_already_preparing(patient, requested_by))
            export = ExportRequest.objects.create(
                patient=patient,
                requested_by=requested_by,
                channel=channel,
                received_on=received_on,
                due_on=export_due_on(received_on),
            )
            audit_event_record(
                action=AuditAction.CREATE,
                actor=requested_by,
                obj=export,
                detail={
                    "patient": patient.pk,
                    "channel": channel,
                    "on_behalf": requested_by.pk != patient.pk,
                },
            )
            export_build_queue_after_commit(export_id=export.pk)
    except IntegrityError as error:  # two requests at once: the constraint let one through
        raise ExportError(_already_preparing(patient, requested_by)) from error
    return export


def _already_preparing(patient: User, requested_by: User) -> str:
    if patient.pk == requested_by.pk:
        return _(
            "We are already preparing a copy of your data. We will email you as soon as it "
            "is ready; you do not need to ask again."
        )
    return _(
        "A copy of this patient's data is already being prepared. They will be emailed when "
        "it is ready."
    )


def export_build_queue_after_commit(*, export_id: uuid.UUID) -> None:
    from privacy.export_tasks import export_build as build_task

    queue_after_commit(build_task, str(export_id), sweeper=EXPORT_SWEEPER)


def export_build(*, export_id: uuid.UUID, retry_in: int = 0) -> ExportOutcome:
    """Build the zip of a requested export into S3, then mark it ready and tell the patient.

    Idempotent: a repeated or redelivered task changes nothing once the export is ready (a zip
    it wrote meanwhile is deleted). RETRY leaves the export requested, its next attempt due in
    `retry_in` seconds (the task's backoff), which the sweeper respects."""
    claimed = _export_claim(export_id=export_id, retry_in=retry_in)
    if claimed is None:
        return ExportOutcome.SKIPPED
    key = f"{EXPORT_KEY_PREFIX}{uuid.uuid4()}"
    try:
        summary = export_zip_write(patient=claimed.patient, key=key)
    except StorageErrors as error:
        reason = f"The object store is unavailable ({type(error).__name__})."
        ExportRequest.objects.filter(pk=claimed.pk, state=ExportState.REQUESTED).update(
            last_error=reason
        )
        logger.warning("Export %s could not be built: %s", claimed.pk, reason)
        return ExportOutcome.RETRY
    return _export_record(claimed, key=key, size=summary.size, files=summary.files)


def _export_claim(*, export_id: uuid.UUID, retry_in: int) -> ExportRequest | None:
    """Count an attempt on a requested export and commit it; None when there is nothing to do.
    The attempt is due again only after the task's time limit, so the sweeper never queues a
    second build beside one still running."""
    with transaction.atomic():
        export = (
            ExportRequest.objects.select_for_update(of=("self",))
            .select_related("patient")
            .filter(pk=export_id)
            .first()
        )
        if export is None or export.state != ExportState.REQUESTED:
            return None
        if export.attempts >= EXPORT_MAX_ATTEMPTS:
            export.state = ExportState.FAILED
            export.save(update_fields=["state"])
            logger.error(
                "Export %s was given up after %d attempts: %s",
                export.pk,
                export.attempts,
                export.last_error or "no error recorded",
            )
            return None
        export.attempts += 1
        wait = max(retry_in, settings.CELERY_TASK_TIME_LIMIT)
        export.attempt_due_at = timezone.now() + timedelta(seconds=wait)
        export.save(update_fields=["attempts", "attempt_due_at"])
    return export


def _export_record(claimed: ExportRequest, *, key: str, size: int, files: int) -> ExportOutcome:
    with transaction.atomic():
        export = (
            ExportRequest.objects.select_for_update()
            .select_related("patient")
            .filter(pk=claimed.pk, state=ExportState.REQUESTED)
            .first()
        )
        if export is None:
            transaction.on_commit(lambda: objects.delete_quietly(key))
            return ExportOutcome.SKIPPED
        now = timezone.now()
        export.state = ExportState.READY
        export.storage_key = key
        export.size = size
        export.files = files
        export.ready_at = now
        export.expires_at = now + timedelta(days=settings.PRIVACY_EXPORT_DAYS)
        export.last_error = ""
        export.save(
            update_fields=[
                "state", "storage_key", "size", "files", "ready_at", "expires_at", "last_error"
            ]
        )  # fmt: skip
        audit_event_record(action=AuditAction.CHANGE, obj=export, detail={"state": "ready"})
        notification_create_for_event(
            kind=EventKind.EXPORT_READY,
            event_key=f"export-ready:{export.pk}",
            recipients=[export.patient],
        )
    return ExportOutcome.READY


def export_download_url(*, export: ExportRequest, user: User) -> str:
    """Audit the download and return a presigned URL to the zip that expires within a minute.
    Precondition: `export` came from the access door for `user` (theirs, and downloadable)."""
    audit_event_record(action=AuditAction.VIEW, actor=user, obj=export, detail={"download": True})
    made_on = timezone.localdate(export.ready_at)
    return default_storage.url(
        export.storage_key,
        parameters={
            "ResponseContentDisposition": f'attachment; filename="your-data-{made_on}.zip"',
            "ResponseContentType": "application/zip",
        },
        expire=settings.S3_PRESIGNED_URL_SECONDS,
    )


def export_extend(*, export_id: uuid.UUID, months: int, reason: str, actor: User) -> ExportRequest:
    """Extend an open request's deadline to `months` (1 or 2) past its month, with a reason the
    patient reads on their "Your data" page; they are told by email. Raises ExportError."""
    reason = (reason or "").strip()
    if not reason:
        raise ExportError(_("Give the reason more time is needed: the patient is told it."))
    if months not in range(1, MAX_EXTENSION_MONTHS + 1):
        raise ExportError(_("A request can be extended by one or two months, no more."))
    with transaction.atomic():
        export = (
            ExportRequest.objects.select_for_update()
            .select_related("patient")
            .filter(pk=export_id)
            .first()
        )
        if export is None:
            raise ExportError(_("This request no longer exists."))
        if not export.is_open:
            raise ExportError(_("This request has already been answered; it needs no more time."))
        extended_to = export.due_on + relativedelta(months=months)
        if export.extended_to and extended_to <= export.extended_to:
            raise ExportError(
                _("This request is already extended to %(date)s; choose a later date.")
                % {"date": f"{export.extended_to:%d %B %Y}"}
            )
        export.extended_to = extended_to
        export.extension_reason = reason
        export.extended_by = actor
        export.extended_at = timezone.now()
        export.save(update_fields=["extended_to", "extension_reason", "extended_by", "extended_at"])
        # The reason is the request's own record; the audit row keeps the date only.
        audit_event_record(
            action=AuditAction.CHANGE,
            actor=actor,
            obj=export,
            detail={"extended_to": extended_to.isoformat()},
        )
        notification_create_for_event(
            kind=EventKind.EXPORT_EXTENDED,
            event_key=f"export-extended:{export.pk}:{extended_to.isoformat()}",
            actor=actor,
            recipients=[export.patient],
        )
    return export


def exports_purge_expired(*, now: datetime) -> int:
    """Delete the zips of exports past their download days, in batches, marking each expired
    with an audit row; a zip S3 would not delete now is left for the next run. Returns how
    many were deleted."""
    deleted = 0
    while True:
        batch = list(
            ExportRequest.objects.filter(state=ExportState.READY, expires_at__lte=now)
            .order_by("expires_at")
            .values_list("pk", "storage_key")[:PURGE_BATCH]
        )
        gone = []
        for pk, key in batch:
            try:
                objects.delete(key)
            except StorageErrors:
                logger.warning("The zip of export %s could not be deleted; next run.", pk)
                continue
            gone.append(pk)
        with transaction.atomic():
            ExportRequest.objects.filter(pk__in=gone, state=ExportState.READY).update(
                state=ExportState.EXPIRED, purged_at=now
            )
            for pk in gone:
                audit_event_record(
                    action=AuditAction.DELETE,
                    object_type="privacy.exportrequest",
                    object_id=str(pk),
                    detail={"reason": "download days over"},
                )
        deleted += len(gone)
        if len(gone) < PURGE_BATCH:  # the last batch, or S3 refusing: stop for this run
            return deleted


def exports_requeue_pending(*, now: datetime) -> int:
    """Queue again every requested export EXPORT_REQUEUE_MINUTES past its attempt's due time: a
    message lost with the broker, a worker killed mid-build. Returns how many were queued."""
    from privacy.export_tasks import export_build as build_task

    cutoff = now - timedelta(minutes=EXPORT_REQUEUE_MINUTES)
    stale = list(
        ExportRequest.objects.filter(state=ExportState.REQUESTED, attempt_due_at__lt=cutoff)
        .order_by("attempt_due_at")
        .values_list("pk", flat=True)
    )
    ExportRequest.objects.filter(pk__in=stale, state=ExportState.REQUESTED).update(
        attempt_due_at=now
    )
    return sum(task_publish(build_task, str(pk), sweeper=EXPORT_SWEEPER) for pk in stale)
