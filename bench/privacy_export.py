"""A subject access export's memory, measured on a real worker process.

Runs inside a configured Django (see bench/run.py). A patient holds 200 MB of clean documents in
the local SeaweedFS; a Celery worker of the bench's own (solo pool, so the export runs in the
process watched) builds their zip, streamed from S3 into S3. The figure is the growth of that
worker's resident memory over its size before the export, sampled every few milliseconds, as
bench/documents.py measures the scan worker: a zip held whole, or documents read whole, would
show as ~200 MB; a streamed one as a few parts.
"""

import contextlib
import hashlib
import os
import time
import uuid

from bench.documents import MB, PYTHON, VAR, PeakSampler, rss_bytes, start, stop, text_chunks
from bench.documents import _database_url as database_url

TOTAL_MB = 200
#: Eight documents of 25 MB: as large as uploads go, and enough of them to cross many parts.
DOCUMENT_MB = 25
TARGET_MB = 32
WAIT_SECONDS = 900


def _row(name: str, value, unit: str, target: str, meets: bool) -> dict:
    return {"name": name, "value": value, "unit": unit, "target": target, "meets": bool(meets)}


def _check(condition: bool, problem: str) -> None:
    """A benchmark that did not do the work it measures must not report a figure."""
    if not condition:
        raise RuntimeError(f"Benchmark invalid: {problem}.")


def _environment() -> dict:
    from django.conf import settings

    return {
        **os.environ,
        "PORTAL_IGNORE_DOTENV": "true",
        "DEBUG": "false",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        "CACHE_URL": "locmemcache://",
        "CELERY_TASK_TIME_LIMIT": "900",
        "CELERY_TASK_SOFT_TIME_LIMIT": "800",
    }


def _patient_with_documents(*, total_mb: int, document_mb: int, seed: int):
    """A patient with a submitted claim holding `total_mb` of clean documents in S3."""
    from django.utils import timezone

    from documents import objects
    from documents.models import CLEAN_PREFIX, Document, ScanStatus
    from intake.models import Claim
    from portal.models import User

    patient = User.objects.create_user(f"bench-export-{seed}-{uuid.uuid4().hex[:6]}@example.com")
    claim = Claim.objects.create(
        claimant=patient,
        status="under_review",
        reference=f"CLM-BENCH-{uuid.uuid4().hex[:8]}",
        submitted_at=timezone.now(),
    )
    for number in range(max(total_mb // document_mb, 1)):
        size = min(document_mb, total_mb) * MB
        key = f"{CLEAN_PREFIX}{uuid.uuid4()}"
        writer, digest = objects.ObjectWriter(key, "text/plain"), hashlib.sha256()
        for chunk in text_chunks(size, seed=seed * 100 + number):
            digest.update(chunk)
            writer.write(chunk)
        writer.close()
        Document.objects.create(
            claim=claim,
            uploader=patient,
            category="receipts",
            original_name=f"receipts-{number + 1}.txt",
            storage_key=key,
            size=size,
            sha256=digest.hexdigest(),
            content_type="text/plain",
            scan_status=ScanStatus.CLEAN,
            scanned_at=timezone.now(),
        )
    return patient


def _export_and_wait(patient) -> "object":
    from privacy.export_models import ExportRequest, ExportState
    from privacy.export_services import export_request_create

    export = export_request_create(patient=patient, requested_by=patient)  # queued at once
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        export = ExportRequest.objects.get(pk=export.pk)
        if export.state != ExportState.REQUESTED:
            return export
        time.sleep(0.05)
    raise RuntimeError(f"Export {export.pk} was not built within {WAIT_SECONDS}s.")


def _delete_objects() -> None:
    from documents import objects
    from documents.models import Document
    from privacy.export_models import ExportRequest

    for key in Document.objects.values_list("storage_key", flat=True):
        objects.delete_quietly(key)
    for key in ExportRequest.objects.exclude(storage_key="").values_list("storage_key", flat=True):
        objects.delete_quietly(key)


def measure() -> list[dict]:
    from privacy.export_models import ExportState

    VAR.mkdir(parents=True, exist_ok=True)
    worker = None
    try:
        warm = _patient_with_documents(total_mb=1, document_mb=1, seed=0)
        big = _patient_with_documents(total_mb=TOTAL_MB, document_mb=DOCUMENT_MB, seed=1)
        worker = start(
            "privacy-export-worker",
            [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-Q", "default",
             "--hostname", f"bench-export-{os.getpid()}@localhost", "--loglevel", "WARNING"],
            _environment(),
        )  # fmt: skip
        # Warm-up: imports, connections and a first export, outside the measurement.
        _check(_export_and_wait(warm).state == ExportState.READY, "the warm-up export failed")
        base = rss_bytes(worker.pid)
        started = time.perf_counter()
        with PeakSampler(worker.pid) as peak:
            export = _export_and_wait(big)
        seconds = time.perf_counter() - started
        base = min(base, rss_bytes(worker.pid))
        _check(export.state == ExportState.READY, f"the export ended {export.state}")
        _check(export.size >= TOTAL_MB * MB, f"the zip holds {export.size} bytes, not 200 MB")
    finally:
        with contextlib.suppress(Exception):
            _delete_objects()
        if worker is not None:
            stop(worker)
    growth = (peak.peak - base) / MB
    print(
        f"  export_rss_growth_mb_200mb: worker RSS {base / MB:.0f} MB -> peak "
        f"{peak.peak / MB:.0f} MB; a {export.size / MB:.0f} MB zip of {export.files} files "
        f"streamed from S3 into S3 in {seconds:.1f}s"
    )
    return [
        _row(
            "export_rss_growth_mb_200mb",
            round(growth, 2),
            "MB",
            f"<= {TARGET_MB}",
            growth <= TARGET_MB,
        )
    ]
