"""The document services against the real clamd and S3 server: scanning, promotion, retries,
rescans and housekeeping. Celery is not involved here; tests/integration runs the real worker."""

import hashlib
import socket
import threading
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from config.celery import app as celery_app
from documents import objects, services
from documents.models import Document, ScanStatus
from documents.scanner import scanner_version
from documents.services import ScanOutcome
from documents.tasks import document_scan_run, scan_retry_countdown
from intake.models import ClaimStatus
from portal.models import AuditAction, AuditEvent
from tests.documents import samples
from tests.documents.conftest import closed_port, object_exists, stored, submitted_claim
from tests.integration.test_documents_worker_killed import HoldingProxy

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def test_a_clean_file_is_promoted_out_of_quarantine(claim, django_capture_on_commit_callbacks):
    document = stored(claim, samples.pdf(), name="letter.pdf")
    quarantined = document.storage_key

    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.document_scan_run(document_id=document.pk)

    document.refresh_from_db()
    assert outcome == ScanOutcome.CLEAN
    assert document.scan_status == ScanStatus.CLEAN
    assert document.storage_key == "clean/" + quarantined.removeprefix("quarantine/")
    assert document.is_downloadable
    assert document.scanned_at is not None
    assert document.signature_version == scanner_version()
    assert object_exists(document.storage_key)
    assert not object_exists(quarantined)
    head = objects.client().head_object(Bucket=settings.S3_BUCKET, Key=document.storage_key)
    assert head["ServerSideEncryption"] == "AES256"


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(samples.EICAR, id="plain"),
        pytest.param(samples.eicar_zip(), id="zipped"),
        pytest.param(samples.eicar_nested_zip(), id="nested-zip"),
        pytest.param(samples.eicar_gzip(), id="gzipped"),
        pytest.param(samples.docx([("word/media/eicar.txt", samples.EICAR)]), id="in-a-docx"),
    ],
)
def test_eicar_in_every_wrapping_is_found_and_never_promoted(claim, content):
    document = stored(claim, content)

    outcome = services.document_scan_run(document_id=document.pk)

    document.refresh_from_db()
    assert outcome == ScanOutcome.INFECTED
    assert document.scan_status == ScanStatus.INFECTED
    assert "EICAR" in document.signature
    assert not document.is_downloadable
    assert document.storage_key.startswith("quarantine/")
    assert object_exists(document.storage_key)  # kept for the retention period
    event = AuditEvent.objects.get(action=AuditAction.CHANGE, object_id=str(document.pk))
    assert event.detail["scan"] == "infected"


def test_a_repeated_scan_changes_nothing(claim, django_capture_on_commit_callbacks):
    document = stored(claim, samples.pdf())
    with django_capture_on_commit_callbacks(execute=True):
        services.document_scan_run(document_id=document.pk)
    document.refresh_from_db()

    again = services.document_scan_run(document_id=document.pk)

    after = Document.objects.get(pk=document.pk)
    assert again == ScanOutcome.SKIPPED
    assert (after.scan_status, after.storage_key, after.scanned_at, after.scan_attempts) == (
        document.scan_status,
        document.storage_key,
        document.scanned_at,
        document.scan_attempts,
    )


def test_a_scan_of_a_missing_document_is_skipped(db):
    assert services.document_scan_run(document_id=uuid.uuid4()) == ScanOutcome.SKIPPED


def test_with_clamd_stopped_the_document_stays_pending_and_is_scanned_once_it_is_back(
    claim, settings, django_capture_on_commit_callbacks
):
    document = stored(claim, samples.pdf())
    port = settings.CLAMD_PORT
    settings.CLAMD_PORT = closed_port()

    outcome = services.document_scan_run(document_id=document.pk)

    document.refresh_from_db()
    assert outcome == ScanOutcome.RETRY
    assert document.scan_status == ScanStatus.PENDING
    assert document.scan_attempts == 1
    assert "not answering" in document.last_error
    assert not document.is_downloadable

    settings.CLAMD_PORT = port
    with django_capture_on_commit_callbacks(execute=True):
        assert services.document_scan_run(document_id=document.pk) == ScanOutcome.CLEAN
    document.refresh_from_db()
    assert document.is_downloadable
    assert document.scan_attempts == 2


def test_with_s3_stopped_the_scan_is_retried_later(claim, settings):
    document = stored(claim, samples.pdf())
    settings.S3_ENDPOINT_URL = f"http://127.0.0.1:{closed_port()}"

    outcome = services.document_scan_run(document_id=document.pk)

    document.refresh_from_db()
    assert outcome == ScanOutcome.RETRY
    assert document.scan_status == ScanStatus.PENDING
    assert "object store is unavailable" in document.last_error


def test_after_the_last_retry_the_document_is_left_in_error(claim, settings):
    document = stored(claim, samples.pdf())
    settings.CLAMD_PORT = closed_port()
    services.document_scan_run(document_id=document.pk)

    assert services.document_scan_give_up(document_id=document.pk) == ScanOutcome.ERROR

    document.refresh_from_db()
    assert document.scan_status == ScanStatus.ERROR
    assert document.is_flagged
    assert not document.is_downloadable
    assert AuditEvent.objects.filter(
        action=AuditAction.CHANGE, object_id=str(document.pk), detail__scan="error"
    ).exists()


def test_a_document_in_error_can_be_scanned_again(claim, adjuster):
    document = stored(claim, samples.pdf(), scan_status=ScanStatus.ERROR)

    count = services.documents_scan_again(documents=Document.objects.all(), actor=adjuster)

    document.refresh_from_db()
    assert count == 1
    assert document.scan_status == ScanStatus.PENDING
    assert services.document_scan_run(document_id=document.pk) == ScanOutcome.CLEAN


def test_a_file_changed_since_upload_is_scanned_again_not_promoted(claim):
    document = stored(claim, samples.pdf())
    writer = objects.ObjectWriter(document.storage_key)
    writer.write(samples.pdf("Something else"))
    writer.close()

    outcome = services.document_scan_run(document_id=document.pk)

    document.refresh_from_db()
    assert outcome == ScanOutcome.RETRY
    assert document.scan_status == ScanStatus.PENDING
    assert document.storage_key.startswith("quarantine/")
    assert "checksum" in document.last_error


def test_a_file_changed_between_scan_and_promotion_is_not_promoted(claim):
    document = stored(claim, samples.pdf())
    _body, etag = objects.open_stream(document.storage_key)
    writer = objects.ObjectWriter(document.storage_key)
    writer.write(samples.EICAR)
    writer.close()

    with pytest.raises(objects.StorageErrors):
        services.document_promote(document=document, etag=etag)

    assert not object_exists(objects.clean_key_for(document.storage_key))


def test_a_file_beyond_clamds_limits_is_unscannable_never_clean(claim):
    # clamd's StreamMaxLength is 60M (deploy/clamd/clamd.conf.in).
    key = objects.new_quarantine_key()
    writer = objects.ObjectWriter(key)
    sha = hashlib.sha256()
    block = b"A" * MB
    for _ in range(61):
        writer.write(block)
        sha.update(block)
    writer.close()
    document = Document.objects.create(
        claim=claim,
        uploader=claim.claimant,
        category="other",
        original_name="huge.txt",
        storage_key=key,
        size=61 * MB,
        sha256=sha.hexdigest(),
        content_type="text/plain",
    )

    outcome = services.document_scan_run(document_id=document.pk)

    document.refresh_from_db()
    assert outcome == ScanOutcome.UNSCANNABLE
    assert document.scan_status == ScanStatus.UNSCANNABLE
    assert not document.is_downloadable


# --- Rescans ------------------------------------------------------------------------------------


def _clean(claim, content: bytes, *, version: str) -> Document:
    key = f"clean/{uuid.uuid4()}"
    return stored(
        claim,
        content,
        key=key,
        scan_status=ScanStatus.CLEAN,
        signature_version=version,
        scanned_at=timezone.now() - timedelta(days=1),
    )


def test_a_rescan_with_new_signatures_withdraws_a_file_now_found_infected(claim):
    # A file that passed under older signatures, which today's signatures recognise.
    document = _clean(claim, samples.EICAR, version="ClamAV 0.0.1/1/old")
    assert document.is_downloadable

    outcome = services.document_rescan_run(document_id=document.pk)

    document.refresh_from_db()
    assert outcome == ScanOutcome.INFECTED
    assert document.scan_status == ScanStatus.INFECTED
    assert document.withdrawn_at is not None
    assert document.is_flagged
    assert not document.is_downloadable
    assert document.status_label == "Removed"
    assert AuditEvent.objects.filter(
        action=AuditAction.CHANGE, object_id=str(document.pk), detail__rescan="infected"
    ).exists()


def test_a_rescan_of_a_still_clean_file_records_the_new_version(claim):
    document = _clean(claim, samples.pdf(), version="ClamAV 0.0.1/1/old")

    assert services.document_rescan_run(document_id=document.pk) == ScanOutcome.CLEAN

    document.refresh_from_db()
    assert document.is_downloadable
    assert document.signature_version == scanner_version()
    # Done once: the same version is not scanned again.
    assert services.document_rescan_run(document_id=document.pk) == ScanOutcome.SKIPPED


@pytest.fixture
def tasks_run_here():
    """Run queued tasks in this process (Celery's eager mode) rather than leave messages on the
    broker for a worker of a later test to pick up against another database state."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def test_rescans_are_queued_only_for_open_claims_scanned_with_other_signatures(
    claim, tasks_run_here
):
    current = scanner_version()
    stale = _clean(claim, samples.pdf(), version="old")
    _clean(claim, samples.pdf(), version=current)
    closed = submitted_claim(status=ClaimStatus.CLOSED)
    _clean(closed, samples.pdf(), version="old")

    queued = services.documents_rescan_queue(version=current)

    assert queued == 1
    stale.refresh_from_db()
    assert stale.signature_version == current  # rescanned by the task it queued


# --- Housekeeping -------------------------------------------------------------------------------


def test_orphaned_objects_are_reaped_and_referenced_ones_kept(claim, settings):
    settings.DOCUMENT_ORPHAN_GRACE_MINUTES = 0
    # Keys sharing a random prefix, so the reaper is pointed at this test's objects alone (the
    # bucket is shared with a developer's running portal).
    shared = uuid.uuid4().hex[:8]
    orphan_key = f"quarantine/{shared}-0000-4000-8000-000000000001"
    kept_key = f"quarantine/{shared}-0000-4000-8000-000000000002"
    writer = objects.ObjectWriter(orphan_key)
    writer.write(b"left behind by a crash")
    writer.close()
    stored(claim, b"a document", key=kept_key)

    reaped = services.document_reap_orphans(
        now=timezone.now() + timedelta(seconds=5), prefixes=(f"quarantine/{shared}",)
    )

    assert reaped == 1
    assert not object_exists(orphan_key)
    assert object_exists(kept_key)


def test_infected_files_are_deleted_after_their_retention(claim, settings):
    settings.DOCUMENT_INFECTED_RETENTION_DAYS = 30
    old = stored(
        claim,
        samples.EICAR,
        scan_status=ScanStatus.INFECTED,
        scanned_at=timezone.now() - timedelta(days=31),
    )
    recent = stored(
        claim,
        samples.EICAR,
        scan_status=ScanStatus.INFECTED,
        scanned_at=timezone.now() - timedelta(days=1),
    )

    assert services.documents_purge_infected(now=timezone.now()) == 1

    old.refresh_from_db()
    assert old.purged_at is not None
    assert not object_exists(old.storage_key)
    assert object_exists(recent.storage_key)


def _due(document: Document, **ago) -> None:
    Document.objects.filter(pk=document.pk).update(scan_due_at=timezone.now() - timedelta(**ago))


def test_every_pending_document_long_past_due_is_queued_again_whatever_its_attempts(
    claim, settings, tasks_run_here
):
    settings.DOCUMENT_SCAN_REQUEUE_MINUTES = 5
    lost = stored(claim, samples.pdf())  # its message went with the broker
    _due(lost, minutes=6)
    # Its retries ended on a database error, which no later retry or sweep used to pick up.
    locked_out = stored(claim, samples.pdf(), scan_attempts=4, last_error="database is locked")
    _due(locked_out, hours=3)
    recent = stored(claim, samples.pdf())  # its task is on its way
    retrying = stored(claim, samples.pdf(), scan_attempts=2)
    Document.objects.filter(pk=retrying.pk).update(
        scan_due_at=timezone.now() + timedelta(minutes=10)
    )

    assert services.documents_requeue_pending(now=timezone.now()) == 2

    for document in (lost, locked_out):
        document.refresh_from_db()
        assert document.scan_status == ScanStatus.CLEAN  # scanned by the task it queued
    for document in (recent, retrying):
        document.refresh_from_db()
        assert document.scan_status == ScanStatus.PENDING


@pytest.fixture
def broker_emptied_afterwards():
    """For tests that leave scan messages on the broker: no later worker runs them."""
    yield
    celery_app.control.purge()


def test_a_requeued_document_waits_as_long_again_before_the_next_requeue(
    claim, settings, broker_emptied_afterwards
):
    settings.DOCUMENT_SCAN_REQUEUE_MINUTES = 5
    document = stored(claim, samples.pdf())
    _due(document, minutes=6)
    now = timezone.now()

    assert services.documents_requeue_pending(now=now) == 1
    # The beat runs every minute: the document is not queued again at each run.
    assert services.documents_requeue_pending(now=now + timedelta(minutes=1)) == 0
    assert services.documents_requeue_pending(now=now + timedelta(minutes=6)) == 1


def test_a_scan_waiting_out_its_retry_backoff_is_not_requeued_early(
    claim, settings, broker_emptied_afterwards
):
    settings.DOCUMENT_SCAN_REQUEUE_MINUTES = 5
    settings.CLAMD_PORT = closed_port()
    document = stored(claim, samples.pdf())

    outcome = services.document_scan_run(document_id=document.pk, retry_in=900)

    assert outcome == ScanOutcome.RETRY
    now = timezone.now()
    assert services.documents_requeue_pending(now=now + timedelta(minutes=19)) == 0
    assert services.documents_requeue_pending(now=now + timedelta(minutes=21)) == 1


def test_a_document_pending_past_the_overdue_time_is_flagged_and_explained(claim, settings):
    settings.DOCUMENT_SCAN_OVERDUE_MINUTES = 30
    waiting = stored(claim, samples.pdf())
    stuck = stored(claim, samples.pdf())
    Document.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(minutes=31))
    stuck.refresh_from_db()

    assert not waiting.is_overdue
    assert not waiting.is_flagged
    assert stuck.is_overdue
    assert stuck.is_flagged
    assert "taking longer than usual" in stuck.status_message
    assert "taking longer than usual" not in waiting.status_message


def test_the_retry_backoff_grows_and_is_capped(settings):
    settings.DOCUMENT_SCAN_RETRY_BASE_SECONDS = 15
    settings.DOCUMENT_SCAN_RETRY_MAX_SECONDS = 900

    assert [scan_retry_countdown(n) for n in range(8)] == [15, 30, 60, 120, 240, 480, 900, 900]


# --- The database is not held while S3 and clamd work --------------------------------------------


class _ClampedProxy(HoldingProxy):
    """The worker test's holding proxy, to the clamd configured when it starts: this process's
    settings then point at the proxy itself."""

    def __init__(self):
        self.upstream = (settings.CLAMD_HOST, settings.CLAMD_PORT)
        super().__init__()

    def _accept(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()


class _HeldScan:
    """A service run in a thread of its own (with its own database connection) whose document
    bytes a proxy holds before they reach clamd, until released."""

    def __init__(self, run):
        self.proxy = _ClampedProxy()
        self.outcome: ScanOutcome | None = None
        self._thread = threading.Thread(target=self._run, args=(run,), daemon=True)

    def _run(self, run):
        try:
            self.outcome = run()
        finally:
            connections.close_all()  # this thread's connections only

    def start(self) -> None:
        self._thread.start()
        assert self.proxy.scan_started.wait(timeout=30), "the scan never reached clamd"

    def finish(self) -> ScanOutcome | None:
        self.proxy.close()
        self._thread.join(timeout=60)
        return self.outcome


@pytest.fixture
def held_scan(settings):
    """Start `run` with clamd behind a holding proxy; returns once the scan is under way."""
    started = []

    def start(run) -> _HeldScan:
        held = _HeldScan(run)
        settings.CLAMD_PORT = held.proxy.port  # this run's connections go through the proxy
        held.start()
        started.append(held)
        return held

    yield start
    for held in started:
        held.finish()


_on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="NOWAIT row locks are PostgreSQL's"
)


def _first_scan(document: Document):
    return lambda: services.document_scan_run(document_id=document.pk)


def _rescan(document: Document):
    clean_key = objects.clean_key_for(document.storage_key)  # deleted afterwards like the rest
    writer = objects.ObjectWriter(clean_key)
    writer.write(samples.pdf())
    writer.close()
    Document.objects.filter(pk=document.pk).update(
        storage_key=clean_key, scan_status=ScanStatus.CLEAN, signature_version="old"
    )
    return lambda: services.document_rescan_run(document_id=document.pk)


@_on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("prepare", [_first_scan, _rescan], ids=["scan", "rescan"])
def test_no_row_is_locked_while_clamd_scans(held_scan, prepare):
    document = stored(submitted_claim(), samples.pdf(), name="letter.pdf")
    held = held_scan(prepare(document))

    # Mid-scan, a web request writes to the document's row without waiting for a lock.
    with transaction.atomic():
        row = Document.objects.select_for_update(nowait=True).get(pk=document.pk)
        row.category = "medical_records"
        row.save(update_fields=["category"])

    assert held.finish() == ScanOutcome.CLEAN
    document.refresh_from_db()
    assert document.scan_status == ScanStatus.CLEAN
    assert document.category == "medical_records"  # the verdict did not undo that write


@_on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_attempt_is_recorded_before_the_scan_and_a_run_that_lost_a_race_changes_nothing(
    held_scan, settings
):
    document = stored(submitted_claim(), samples.pdf(), name="letter.pdf")
    real_port = settings.CLAMD_PORT
    slow = held_scan(_first_scan(document))
    # The attempt is committed already, so an attempt that kills its worker still counts.
    assert Document.objects.get(pk=document.pk).scan_attempts == 1

    # Another run (a redelivery, a requeue) scans the same document and records its verdict.
    settings.CLAMD_PORT = real_port
    assert services.document_scan_run(document_id=document.pk) == ScanOutcome.CLEAN
    recorded = Document.objects.get(pk=document.pk)

    assert slow.finish() == ScanOutcome.SKIPPED
    after = Document.objects.get(pk=document.pk)
    assert (after.scan_status, after.storage_key, after.scanned_at, after.last_error) == (
        ScanStatus.CLEAN,
        recorded.storage_key,
        recorded.scanned_at,
        "",
    )
    assert after.scan_attempts == 2
    assert after.is_downloadable and object_exists(after.storage_key)


# --- When the scan task gives up ------------------------------------------------------------------


def test_only_the_documents_own_scanner_failures_count_towards_giving_up(claim, settings):
    settings.DOCUMENT_SCAN_MAX_RETRIES = 2
    settings.CLAMD_PORT = closed_port()
    document = stored(claim, samples.pdf())

    # As though a database error had already run the task again five times (PortalTask): Celery's
    # retry count is past the limit, yet clamd has not failed this document once.
    document_scan_run.apply(args=[str(document.pk)], retries=5)

    document.refresh_from_db()
    assert document.scan_status == ScanStatus.ERROR
    assert document.scan_attempts == 3  # the first scan and its two retries, then it gave up
    assert "not answering" in document.last_error
