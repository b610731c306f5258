"""Writes for documents: saving uploads, scanning, promotion, rescans and storage housekeeping.

A document's bytes go to quarantine/<uuid> during the request (documents.upload), a row is saved
here, and a scan task is queued once that row is committed. The scan streams the object from S3
to clamd; a clean file is copied to clean/<uuid> (only if it is still the version scanned) and only
then downloadable. Nothing here ever holds a whole file in memory.
"""

import enum
import functools
import hashlib
import logging
import uuid
from datetime import datetime, timedelta
from typing import BinaryIO

from botocore.exceptions import ClientError
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from documents import access, archives, objects
from documents.models import (
    CLEAN_PREFIX,
    QUARANTINE_PREFIX,
    Document,
    DocumentCategory,
    ScanStatus,
    overdue_cutoff,
)
from documents.names import clean_file_name, content_disposition
from documents.scanner import (
    ScannerUnavailable,
    ScanResult,
    Verdict,
    require_checked_scanner,
    scan_stream,
    scanner_version,
)
from documents.sniffing import PDF, SNIFF_BYTES, sniff
from documents.upload import MB, StoredUpload, UploadLimits
from intake.models import Claim, ClaimStatus
from notifications.outbox import notification_create_for_document_verdict
from portal.access import forbid
from portal.models import AuditAction, User
from portal.queueing import queue_after_commit, task_publish
from portal.services import audit_event_record

logger = logging.getLogger(__name__)

#: What takes over a scan that could not be queued (named in the log line).
SCAN_SWEEPER = "documents_requeue_pending will queue it"
#: Claims whose documents are no longer rescanned when the signatures change.
FINISHED_CLAIM_STATUSES = (ClaimStatus.CLOSED, ClaimStatus.WITHDRAWN)


class DocumentError(Exception):
    """A refused document action; the message is shown to the person as it is."""


class DocumentNotReady(DocumentError):
    pass


class ScanOutcome(enum.StrEnum):
    CLEAN = "clean"
    INFECTED = "infected"
    UNSCANNABLE = "unscannable"
    ERROR = "error"
    #: The scanner or the store was unavailable, or the file changed: try again later.
    RETRY = "retry"
    #: Nothing to do: the document is gone or no longer in the state this task expects.
    SKIPPED = "skipped"


# --- Uploads ------------------------------------------------------------------------------------


def claim_document_bytes(*, claim: Claim) -> int:
    """Bytes of documents already held for `claim`."""
    return claim.documents.aggregate(total=Sum("size"))["total"] or 0


def upload_limits_for(*, claim: Claim) -> UploadLimits:
    """The limits an upload to `claim` is held to while it streams."""
    total = settings.DOCUMENT_MAX_TOTAL_PER_CLAIM_MB * MB
    return UploadLimits(
        max_file_bytes=settings.DOCUMENT_MAX_FILE_MB * MB,
        max_files=settings.DOCUMENT_MAX_FILES_PER_REQUEST,
        claim_bytes_left=max(total - claim_document_bytes(claim=claim), 0),
        claim_total_bytes=total,
    )


def document_upload(
    *, claim: Claim, uploader: User, uploads: list[tuple[StoredUpload, str]]
) -> list[Document]:
    """Save a row for each file already streamed to quarantine and queue its scan after commit.

    All or nothing: when the person may not upload or the claim's total would be exceeded,
    every object is deleted and no row is saved.
    """
    try:
        if not access.document_may_upload(uploader, claim):
            forbid(
                user=uploader,
                object_type="intake.claim",
                object_id=claim.pk,
                reason="document upload",
            )
        with transaction.atomic():
            # One upload per claim at a time, so two requests cannot both fit under the total.
            Claim.objects.select_for_update().only("pk").get(pk=claim.pk)
            limit = settings.DOCUMENT_MAX_TOTAL_PER_CLAIM_MB * MB
            adding = sum(upload.size for upload, _category in uploads)
            if claim_document_bytes(claim=claim) + adding > limit:
                raise DocumentError(
                    _(
                        "A claim can hold %(limit)d MB of documents in all, and these files "
                        "would take this claim over that."
                    )
                    % {"limit": limit // MB}
                )
            documents = [
                _document_create(claim=claim, uploader=uploader, upload=upload, category=category)
                for upload, category in uploads
            ]
    except BaseException:
        for upload, _category in uploads:
            objects.delete_quietly(upload.storage_key)
        raise
    return documents


def _document_create(
    *, claim: Claim, uploader: User, upload: StoredUpload, category: str
) -> Document:
    document = Document.objects.create(
        claim=claim,
        uploader=uploader,
        category=category,
        original_name=upload.name,
        storage_key=upload.storage_key,
        size=upload.size,
        sha256=upload.sha256,
        content_type=upload.content_type,
    )
    audit_event_record(
        action=AuditAction.CREATE,
        actor=uploader,
        obj=document,
        detail={"claim": str(claim.pk), "size": upload.size, "type": upload.content_type},
    )
    document_scan_queue_after_commit(document_id=document.pk)
    return document


def document_scan_queue(*, document_id: uuid.UUID) -> bool:
    """Queue the scan now; when the broker is down the document stays pending and the periodic
    sweep (documents_requeue_pending) queues it later. Returns whether it was queued."""
    from documents.tasks import document_scan_run as scan_task

    return task_publish(scan_task, str(document_id), sweeper=SCAN_SWEEPER)


def document_scan_queue_after_commit(*, document_id: uuid.UUID) -> None:
    """Queue the scan once the transaction that saved the document commits."""
    from documents.tasks import document_scan_run as scan_task

    queue_after_commit(scan_task, str(document_id), sweeper=SCAN_SWEEPER)


# --- Letters the portal writes ------------------------------------------------------------------


def letter_object_store(*, content: bytes, name: str) -> StoredUpload:
    """Put a letter's PDF in quarantine under a random key, as an upload's bytes are put there;
    no row is saved (document_store_letter saves it, in the caller's transaction), so an object
    left without one is deleted by the orphan reaper. Raises DocumentError for anything but a
    PDF, objects.StorageErrors when the store fails."""
    file_type = sniff(content[:SNIFF_BYTES], complete=len(content) <= SNIFF_BYTES)
    if file_type != PDF:
        raise DocumentError("A letter must be a PDF.")
    writer = objects.ObjectWriter(objects.new_quarantine_key(), content_type=PDF.content_type)
    try:
        writer.write(content)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return StoredUpload(
        key=writer.key,
        name=clean_file_name(name),
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        file_type=file_type,
    )


def letter_object_discard(*, stored: StoredUpload) -> None:
    """Delete a letter's object that will get no row (another run stored the letter first)."""
    objects.delete_quietly(stored.storage_key)


def document_store_letter(
    *, claim: Claim, stored: StoredUpload, kind: str, uploader: User
) -> Document:
    """Save a letter the portal wrote (already in quarantine: letter_object_store) as a
    correspondence document of `claim` marked with its `kind`, and queue its scan after commit:
    the same scan, promotion and download door as every upload. `uploader` is the insurer's
    staff member it goes out under; the audit row names the portal as its maker. A letter does
    not count against the claim's upload total: the patient's own files must never stop the
    insurer's letters. Precondition: inside the caller's transaction."""
    document = Document.objects.create(
        claim=claim,
        uploader=uploader,
        category=DocumentCategory.CORRESPONDENCE,
        letter_kind=kind,
        original_name=stored.name,
        storage_key=stored.storage_key,
        size=stored.size,
        sha256=stored.sha256,
        content_type=stored.content_type,
    )
    audit_event_record(
        action=AuditAction.CREATE,
        obj=document,
        detail={"claim": str(claim.pk), "letter": kind, "size": stored.size},
    )
    document_scan_queue_after_commit(document_id=document.pk)
    return document


# --- Scanning -----------------------------------------------------------------------------------


class _HashingReader:
    """Reads the object in READ_BYTES pieces (fewer, larger reads from S3) and hands them out
    in the sizes asked for, computing their SHA-256 so the scan checks the checksum too."""

    READ_BYTES = 1024 * 1024

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self._pending = memoryview(b"")
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        if not self._pending:
            piece = self._stream.read(self.READ_BYTES)
            self.sha256.update(piece)
            self._pending = memoryview(piece)
        size = len(self._pending) if size is None or size < 0 else size
        chunk, self._pending = self._pending[:size], self._pending[size:]
        return bytes(chunk)


def _scan_object(key: str, *, content_type: str) -> tuple[ScanResult, str, str]:
    """Stream the object to clamd; returns the verdict, the SHA-256 of what was sent, the ETag.

    A zip-based document is first checked against the archive limits (documents.archives): one
    past them is unscannable without being sent, and the scan reads the version checked. clamd
    is used only once it has passed its check (documents.scanner.require_checked_scanner).
    """
    checked_etag = ""
    if archives.is_zip_based(content_type):
        check = archives.archive_check(key=key)
        if check.problem is not None:
            return ScanResult(Verdict.UNSCANNABLE, check.problem.value), "", check.etag
        checked_etag = check.etag
    require_checked_scanner()
    body, etag = objects.open_stream(key, if_match=checked_etag)
    try:
        reader = _HashingReader(body)
        result = scan_stream(reader)
    finally:
        body.close()
    return result, reader.sha256.hexdigest(), etag


def _is_missing(error: Exception) -> bool:
    return isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in (
        "NoSuchKey",
        "404",
    )


def _is_changed(error: Exception) -> bool:
    return isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in (
        "PreconditionFailed",
        "412",
    )


def _current_scanner_version() -> str:
    try:
        return scanner_version()
    except ScannerUnavailable:
        return ""


def document_scan_run(*, document_id: uuid.UUID, retry_in: int = 0) -> ScanOutcome:
    """Scan a pending document and record the verdict; a clean one is promoted.

    The database is held only for two short transactions, never while S3 and clamd work (with
    SQLite a transaction holds the whole database's write lock): one claims the attempt, the
    scan and the copy of a clean file run outside any transaction, and one records the verdict,
    only if the document is still pending with the same object. Idempotent: a redelivered or
    repeated task, or one that lost a race with another run, changes nothing once the document
    has left `pending`. RETRY leaves the document pending, its next attempt due in `retry_in`
    seconds (the caller's backoff), which the sweeper respects.
    """
    claimed = _scan_claim(document_id=document_id, retry_in=retry_in)
    if claimed is None:
        return ScanOutcome.SKIPPED
    try:
        result, digest, etag = _scan_object(claimed.storage_key, content_type=claimed.content_type)
    except ScannerUnavailable as error:
        return _scan_failed(claimed, str(error))
    except objects.StorageErrors as error:
        if _is_missing(error):
            return _scan_error_if_pending(claimed, "The quarantined object is missing.")
        if _is_changed(error):
            return _scan_failed(claimed, "The file changed while it was checked.")
        return _scan_failed(claimed, f"The object store is unavailable: {error}")
    if result.verdict == Verdict.CLEAN:
        if digest != claimed.sha256:
            # What S3 gave back is not what was uploaded: never promote it, look again.
            return _scan_failed(claimed, "The stored file does not match its checksum.")
        try:
            document_promote(document=claimed, etag=etag)
        except objects.StorageErrors as error:
            if _is_changed(error):
                return _scan_failed(claimed, "The file changed while it was scanned.")
            return _scan_failed(claimed, f"Promotion failed: {error}")
    return _scan_record(claimed, result, version=_current_scanner_version())


def _scan_claim(*, document_id: uuid.UUID, retry_in: int) -> Document | None:
    """Count an attempt on a pending document and commit it; None when there is nothing to do.

    Committed before the scan, so an attempt that kills its worker still counts."""
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.scan_status != ScanStatus.PENDING:
            return None
        document.scan_attempts += 1
        document.scan_due_at = timezone.now() + timedelta(seconds=retry_in)
        document.save(update_fields=["scan_attempts", "scan_due_at"])
    return document


def _locked_if_still_pending(claimed: Document) -> Document | None:
    """The claimed document, locked, if no other run has recorded a verdict since the claim:
    still pending, with the same object (promotion changes the key)."""
    return (
        Document.objects.select_for_update()
        .filter(
            pk=claimed.pk,
            scan_status=ScanStatus.PENDING,
            storage_key=claimed.storage_key,
            sha256=claimed.sha256,
        )
        .first()
    )


def _scan_record(claimed: Document, result: ScanResult, *, version: str) -> ScanOutcome:
    """Record the verdict of a scan; a clean document points at its promoted copy from now on."""
    with transaction.atomic():
        document = _locked_if_still_pending(claimed)
        if document is None:
            # Another run recorded a verdict first; a copy this one made and nobody refers to
            # is deleted by the orphan reaper.
            return ScanOutcome.SKIPPED
        document.signature = result.signature[:200]
        document.signature_version = version[:200]
        document.scanned_at = timezone.now()
        document.last_error = ""
        if result.verdict == Verdict.CLEAN:
            source = document.storage_key
            document.storage_key = objects.clean_key_for(source)
            document.scan_status = ScanStatus.CLEAN
            transaction.on_commit(functools.partial(objects.delete_quietly, source))
        else:
            document.scan_status = (
                ScanStatus.INFECTED
                if result.verdict == Verdict.INFECTED
                else ScanStatus.UNSCANNABLE
            )
            audit_event_record(
                action=AuditAction.CHANGE,
                obj=document,
                detail={"scan": document.scan_status, "signature": document.signature},
            )
        document.save()
        # The uploader hears of the verdict in the same transaction as it is recorded.
        notification_create_for_document_verdict(document=document)
        return ScanOutcome(document.scan_status)


def _scan_failed(claimed: Document, reason: str) -> ScanOutcome:
    """Keep the document pending and note why; the task retries with backoff (the attempt and
    its due time were recorded by the claim)."""
    with transaction.atomic():
        document = _locked_if_still_pending(claimed)
        if document is None:
            return ScanOutcome.SKIPPED
        document.last_error = reason[:300]
        document.save(update_fields=["last_error"])
    return ScanOutcome.RETRY


def _scan_error_if_pending(claimed: Document, reason: str) -> ScanOutcome:
    with transaction.atomic():
        document = _locked_if_still_pending(claimed)
        if document is None:
            return ScanOutcome.SKIPPED
        return _scan_error(document, reason)


def _scan_error(document: Document, reason: str) -> ScanOutcome:
    """Leave a locked, pending document in `error`, shown to the triage lead."""
    document.scan_status = ScanStatus.ERROR
    document.last_error = reason[:300]
    document.save(update_fields=["scan_status", "last_error"])
    audit_event_record(
        action=AuditAction.CHANGE, obj=document, detail={"scan": "error", "reason": reason}
    )
    return ScanOutcome.ERROR


def document_scan_give_up(*, document_id: uuid.UUID) -> ScanOutcome:
    """After the last retry: leave a still-pending document in `error`, shown to the triage lead."""
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.scan_status != ScanStatus.PENDING:
            return ScanOutcome.SKIPPED
        return _scan_error(document, document.last_error or "Scanning kept failing.")


def document_promote(*, document: Document, etag: str) -> None:
    """Copy a clean document's object from quarantine to clean/<uuid>, only if it is still the
    version with `etag` (the one scanned). S3 only: the verdict's transaction points the row at
    the copy, and the quarantined object is deleted after that commits (or by the orphan
    reaper if that fails)."""
    objects.copy_if_unchanged(
        source=document.storage_key,
        target=objects.clean_key_for(document.storage_key),
        etag=etag,
        disposition=content_disposition(document.original_name),
        content_type=document.content_type,
    )


# --- Rescans when the signatures change ---------------------------------------------------------


def documents_rescan_queue(*, version: str | None = None) -> int:
    """Queue a rescan of every clean document of an open claim last scanned with other
    signatures than clamd's current ones. Returns how many were queued."""
    from documents.tasks import document_rescan_run as rescan_task

    version = version or scanner_version()
    stale = (
        Document.objects.filter(scan_status=ScanStatus.CLEAN, withdrawn_at__isnull=True)
        .exclude(signature_version=version)
        .exclude(claim__status__in=FINISHED_CLAIM_STATUSES)
        .values_list("pk", flat=True)
    )
    count = 0
    for document_id in stale.iterator():
        rescan_task.delay(str(document_id))
        count += 1
    return count


def document_rescan_run(*, document_id: uuid.UUID) -> ScanOutcome:
    """Scan a clean document again with the current signatures. One now found infected (or
    that can no longer be fully scanned) is withdrawn from view, flagged and audited.

    As with the first scan, no transaction is open while S3 and clamd work: the verdict is
    recorded in a short one, only if no other rescan has recorded one since."""
    try:
        version = scanner_version()
    except ScannerUnavailable:
        return ScanOutcome.RETRY
    document = Document.objects.filter(pk=document_id).first()
    if not _due_for_rescan(document, version=version):
        return ScanOutcome.SKIPPED
    try:
        result, digest, _etag = _scan_object(
            document.storage_key, content_type=document.content_type
        )
    except (ScannerUnavailable, *objects.StorageErrors):
        return ScanOutcome.RETRY
    return _rescan_record(document, result, found_digest=digest, version=version)


def _due_for_rescan(document: Document | None, *, version: str) -> bool:
    return (
        document is not None
        and document.scan_status == ScanStatus.CLEAN
        and document.withdrawn_at is None
        and document.signature_version != version
    )


def _rescan_record(
    scanned: Document, result: ScanResult, *, found_digest: str, version: str
) -> ScanOutcome:
    with transaction.atomic():
        document = (
            Document.objects.select_for_update()
            .filter(pk=scanned.pk, storage_key=scanned.storage_key, sha256=scanned.sha256)
            .first()
        )
        if not _due_for_rescan(document, version=version):
            return ScanOutcome.SKIPPED
        now = timezone.now()
        document.scanned_at = now
        document.signature_version = version[:200]
        if result.verdict == Verdict.CLEAN and found_digest == document.sha256:
            document.save(update_fields=["scanned_at", "signature_version"])
            return ScanOutcome.CLEAN
        document.scan_status = (
            ScanStatus.INFECTED if result.verdict == Verdict.INFECTED else ScanStatus.UNSCANNABLE
        )
        document.signature = (result.signature or "checksum mismatch")[:200]
        document.withdrawn_at = now
        document.save()
        audit_event_record(
            action=AuditAction.CHANGE,
            obj=document,
            detail={"rescan": document.scan_status, "signature": document.signature},
        )
        notification_create_for_document_verdict(document=document)
        return ScanOutcome(document.scan_status)


# --- Housekeeping -------------------------------------------------------------------------------


def documents_requeue_pending(*, now: datetime) -> int:
    """Queue again every pending document whose next attempt is DOCUMENT_SCAN_REQUEUE_MINUTES
    overdue, whatever its attempts so far: a message lost with the broker, a worker killed
    mid-scan, retries that ended on a database error. Returns how many were queued.

    Each is marked due now before it is queued, so the next sweep leaves it alone for as long
    again; a document still waiting past DOCUMENT_SCAN_OVERDUE_MINUTES is shown to staff (see
    Document.is_overdue) and counted in the log here.
    """
    cutoff = now - timedelta(minutes=settings.DOCUMENT_SCAN_REQUEUE_MINUTES)
    stale = list(
        Document.objects.filter(scan_status=ScanStatus.PENDING, scan_due_at__lt=cutoff)
        .order_by("scan_due_at")
        .values_list("pk", flat=True)
    )
    Document.objects.filter(pk__in=stale, scan_status=ScanStatus.PENDING).update(scan_due_at=now)
    queued = sum(document_scan_queue(document_id=pk) for pk in stale)
    overdue = Document.objects.filter(
        scan_status=ScanStatus.PENDING, created_at__lt=overdue_cutoff(now)
    ).count()
    if overdue:
        logger.warning(
            "%d document(s) have waited over %d minutes for their virus check.",
            overdue,
            settings.DOCUMENT_SCAN_OVERDUE_MINUTES,
        )
    return queued


#: Sent before infected files' objects are purged, for an app above documents that must keep
#: some (privacy's legal holds). A receiver returns a queryset of claim ids whose files stay.
infected_files_purging = Signal()


def documents_purge_infected(*, now: datetime) -> int:
    """Delete the objects of infected files kept past DOCUMENT_INFECTED_RETENTION_DAYS; the rows
    stay, with purged_at, for the record. Files of claims a receiver of infected_files_purging
    names are kept."""
    cutoff = now - timedelta(days=settings.DOCUMENT_INFECTED_RETENTION_DAYS)
    expired = Document.objects.filter(
        scan_status=ScanStatus.INFECTED, purged_at__isnull=True, scanned_at__lt=cutoff
    )
    for _receiver, kept_claim_ids in infected_files_purging.send(sender=Document):
        expired = expired.exclude(claim_id__in=kept_claim_ids)
    count = 0
    for document in expired:
        objects.delete(document.storage_key)
        Document.objects.filter(pk=document.pk).update(purged_at=now)
        audit_event_record(
            action=AuditAction.DELETE, obj=document, detail={"reason": "infected file retention"}
        )
        count += 1
    return count


def document_reap_orphans(
    *, now: datetime, prefixes: tuple[str, ...] = (QUARANTINE_PREFIX, CLEAN_PREFIX)
) -> int:
    """Delete objects (and abandon multipart uploads) older than DOCUMENT_ORPHAN_GRACE_MINUTES
    that no document row refers to: what a crash between storing and saving leaves behind."""
    cutoff = now - timedelta(minutes=settings.DOCUMENT_ORPHAN_GRACE_MINUTES)
    reaped = 0
    for prefix in prefixes:
        old = [key for key, modified in objects.iter_keys(prefix) if modified < cutoff]
        for start in range(0, len(old), 500):
            batch = old[start : start + 500]
            known = set(
                Document.objects.filter(storage_key__in=batch).values_list("storage_key", flat=True)
            )
            for key in batch:
                if key not in known:
                    objects.delete(key)
                    reaped += 1
        for key, upload_id, initiated in objects.iter_unfinished_uploads(prefix):
            if initiated < cutoff:
                objects.abort_upload(key, upload_id)
                reaped += 1
    return reaped


# --- Downloads ----------------------------------------------------------------------------------


def document_download_url(*, document: Document, user: User) -> str:
    """Audit the download and return a presigned URL that expires within a minute.

    Precondition: `document` came from the selector for `user`. Raises DocumentNotReady unless
    the file has passed the scanner and been promoted.
    """
    if not document.is_downloadable:
        raise DocumentNotReady(_("This file cannot be opened: it has not passed the virus check."))
    audit_event_record(action=AuditAction.VIEW, actor=user, obj=document, detail={"download": True})
    return objects.presigned_download_url(key=document.storage_key)


def documents_scan_again(*, documents: QuerySet[Document], actor: User) -> int:
    """Put documents left in `error` back to pending and queue their scans (after commit)."""
    count = 0
    with transaction.atomic():
        for document in documents.select_for_update().filter(scan_status=ScanStatus.ERROR):
            document.scan_status = ScanStatus.PENDING
            document.scan_attempts = 0
            document.scan_due_at = timezone.now()
            document.save(update_fields=["scan_status", "scan_attempts", "scan_due_at"])
            audit_event_record(
                action=AuditAction.CHANGE, actor=actor, obj=document, detail={"scan": "again"}
            )
            document_scan_queue_after_commit(document_id=document.pk)
            count += 1
    return count


def documents_delete_for_draft(*, claim: Claim) -> int:
    """Delete a stale draft's documents (an advocate's authority form, say) with an audit row
    each, and their stored objects once that is committed (any left over, the orphan reaper
    takes); returns how many. Precondition: inside the transaction that deletes the draft."""
    documents = list(Document.objects.filter(claim=claim))
    for document in documents:
        audit_event_record(
            action=AuditAction.DELETE, obj=document, detail={"reason": "draft untouched"}
        )
    Document.objects.filter(claim=claim).delete()
    keys = [document.storage_key for document in documents]

    def delete_objects() -> None:
        for key in keys:
            objects.delete_quietly(key)

    # Robust: the rows are gone whatever happens to the objects.
    transaction.on_commit(delete_objects, robust=True)
    return len(documents)
