"""The whole documents pipeline with a real worker: HTTP upload, S3, the scan task on the scan
queue, clamd, promotion, and the download, as a patient and as outsiders would meet it."""

import time
import urllib.request

import pytest
from django.urls import reverse

from documents.models import Document, ScanStatus
from documents.tasks import document_scan_run
from portal.models import AuditAction, AuditEvent
from tests.documents import samples
from tests.documents.conftest import submitted_claim, upload
from tests.factories import AdjusterFactory, UserFactory
from tests.portal.test_selectors import _signed_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SCAN_WAIT_SECONDS = 60


def _wait_for_verdict(document: Document) -> Document:
    deadline = time.monotonic() + SCAN_WAIT_SECONDS
    while time.monotonic() < deadline:
        document.refresh_from_db()
        if document.scan_status != ScanStatus.PENDING:
            return document
        time.sleep(0.2)
    pytest.fail(f"{document.original_name} was still pending after {SCAN_WAIT_SECONDS}s")


@pytest.fixture
def claim():
    return submitted_claim(adjuster=AdjusterFactory())


@pytest.fixture
def patient_client(claim):
    return _signed_in(claim.claimant)


def test_a_clean_pdf_is_scanned_promoted_and_downloadable_by_the_patient_only(
    celery_worker, claim, patient_client
):
    content = samples.pdf("Operation note")
    assert upload(patient_client, claim, [("note.pdf", content)]).status_code == 302
    document = Document.objects.get()
    download_url = reverse("documents:download", args=[document.pk])

    document = _wait_for_verdict(document)

    assert document.scan_status == ScanStatus.CLEAN
    assert document.storage_key.startswith("clean/")
    response = patient_client.get(download_url)
    assert response.status_code == 302
    with urllib.request.urlopen(response.headers["Location"], timeout=10) as fetched:  # noqa: S310
        assert fetched.read() == content

    other_patient, other_adjuster = UserFactory(), AdjusterFactory()
    assert _signed_in(other_patient).get(download_url).status_code == 404
    assert _signed_in(other_adjuster).get(download_url).status_code == 404
    refused = AuditEvent.objects.filter(
        action=AuditAction.ACCESS_REFUSED, object_id=str(document.pk)
    )
    assert {event.actor for event in refused} == {other_patient, other_adjuster}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("eicar.txt", samples.EICAR, id="plain text"),
        pytest.param(
            "statement.docx",
            samples.docx([("word/embeddings/eicar.com", samples.EICAR)]),
            id="zipped (in a docx)",
        ),
        pytest.param(
            "statement.docx",
            samples.docx([("word/embeddings/inner.zip", samples.eicar_zip())]),
            id="nested zip (in a docx)",
        ),
    ],
)
def test_eicar_uploaded_through_the_portal_is_infected_and_never_downloadable(
    celery_worker, claim, patient_client, name, content
):
    assert upload(patient_client, claim, [(name, content)]).status_code == 302

    document = _wait_for_verdict(Document.objects.get())

    assert document.scan_status == ScanStatus.INFECTED
    assert "EICAR" in document.signature
    assert document.storage_key.startswith("quarantine/")
    response = patient_client.get(reverse("documents:download", args=[document.pk]))
    assert response.status_code == 409
    page = patient_client.get(reverse("intake:claim_detail", args=[claim.pk])).content.decode()
    assert "We found a virus in this file, so nobody can open it." in page
    assert AuditEvent.objects.filter(
        action=AuditAction.CHANGE, object_id=str(document.pk), detail__scan="infected"
    ).exists()


def test_a_repeated_task_changes_nothing(celery_worker, claim, patient_client):
    upload(patient_client, claim, [("a.pdf", samples.pdf())])
    document = _wait_for_verdict(Document.objects.get())

    outcome = document_scan_run.delay(str(document.pk)).get(timeout=30)

    after = Document.objects.get(pk=document.pk)
    assert outcome == "skipped"
    assert (after.scan_status, after.storage_key, after.scanned_at, after.scan_attempts) == (
        document.scan_status,
        document.storage_key,
        document.scanned_at,
        document.scan_attempts,
    )


def test_the_status_poll_follows_the_scan(celery_worker, claim, patient_client):
    upload(patient_client, claim, [("a.txt", b"Plain words.\n")])
    _wait_for_verdict(Document.objects.get())

    data = patient_client.get(reverse("documents:status", args=[claim.pk])).json()

    assert data["pending"] is False
    assert data["documents"][0]["status"] == "clean"
    assert data["documents"][0]["download_url"]
