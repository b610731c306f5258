"""Uploading through the portal: files stream to S3 quarantine under random keys, and every limit
and type rule refuses a file while it streams, leaving nothing behind."""

import hashlib
import re
import socket

import pytest
from django.conf import settings
from django.urls import reverse

from documents import objects
from documents.models import Document, DocumentCategory, ScanStatus
from intake.models import ClaimStatus
from portal.models import AuditAction, AuditEvent
from tests.documents import samples
from tests.documents.conftest import (
    multipart,
    object_exists,
    post_raw,
    submitted_claim,
    upload,
)
from tests.factories import UserFactory
from tests.portal.test_selectors import _signed_in

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
KEY = re.compile(r"^quarantine/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_a_pdf_is_streamed_to_quarantine_under_a_random_key(patient_client, claim, patient):
    content = samples.pdf()

    response = upload(patient_client, claim, [("Discharge letter.pdf", content)])

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/claims/{claim.pk}/#documents-heading")
    document = Document.objects.get()
    assert KEY.match(document.storage_key)
    assert document.original_name == "Discharge letter.pdf"
    assert document.content_type == "application/pdf"
    assert document.size == len(content)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.scan_status == ScanStatus.PENDING
    assert document.uploader == patient
    assert document.category == DocumentCategory.MEDICAL_RECORDS
    head = objects.client().head_object(Bucket=settings.S3_BUCKET, Key=document.storage_key)
    assert head["ContentLength"] == len(content)
    assert head["ServerSideEncryption"] == "AES256"
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="documents.document", actor=patient
    ).exists()


def test_several_files_at_once_each_with_its_category(patient_client, claim):
    response = upload(
        patient_client,
        claim,
        [("photo.png", samples.png()), ("receipt.txt", b"Taxi to the clinic: 12.50\n")],
        categories={1: "photos", 2: "receipts"},
    )

    assert response.status_code == 302
    saved = {d.original_name: (d.category, d.content_type) for d in Document.objects.all()}
    assert saved == {
        "photo.png": ("photos", "image/png"),
        "receipt.txt": ("receipts", "text/plain"),
    }


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("scan.jpeg", samples.jpeg()),
        ("scan.tiff", samples.tiff()),
        ("IMG_0001.HEIC", samples.heic()),
        ("statement.docx", samples.docx()),
        ("letter.odt", samples.odt()),
    ],
)
def test_every_allowed_type_is_accepted(patient_client, claim, name, content):
    response = upload(patient_client, claim, [(name, content)])

    assert response.status_code == 302
    assert Document.objects.get().original_name == name


def test_the_script_gets_json_back(patient_client, claim):
    response = upload(patient_client, claim, [("a.pdf", samples.pdf())], json=True)

    assert response.status_code == 201
    [item] = response.json()["documents"]
    assert item["status"] == "pending"
    assert item["download_url"] is None


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("invoice.pdf", samples.executable(), "“invoice.pdf” is not a PDF."),
        ("photo.jpg", samples.html(), "“photo.jpg” is not a JPEG image."),
        ("scan.png", samples.jpeg(), "“scan.png” is not a PNG image: it is a JPEG image."),
        ("letter.txt", samples.pdf(), "“letter.txt” is not a plain text file: it is a PDF."),
        ("letter.txt", samples.pdf(), "Send it with a name ending in .pdf."),
        ("report", samples.pdf(), "“report” is a PDF. Send it with a name ending in .pdf."),
        ("sheet.docx", samples.xlsx(), "“sheet.docx” is not a Word document."),
        ("eicar.zip", samples.eicar_zip(), "is not a kind of file we accept"),
        ("setup.exe", samples.executable(), "is not a kind of file we accept"),
        ("empty.txt", b"", "is empty"),
    ],
)
def test_a_file_whose_content_is_not_allowed_or_disagrees_with_its_name_is_refused(
    patient_client, claim, name, content, message, issued_keys
):

    response = upload(patient_client, claim, [("fine.pdf", samples.pdf()), (name, content)])

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Document.objects.exists()
    assert len(issued_keys) == 2
    assert not any(map(object_exists, issued_keys))  # the first, accepted file was deleted too


def test_an_oversize_file_is_refused_before_the_body_is_read(
    patient_client, claim, settings, issued_keys
):
    settings.DOCUMENT_MAX_FILE_MB = 1
    body = multipart([("big.txt", b"a" * (4 * MB))])

    response, bytes_read = post_raw(patient_client, claim, body)

    assert response.status_code == 413
    assert "larger than 1 MB" in response.content.decode()
    assert bytes_read < 1.2 * MB < len(body)
    assert not Document.objects.exists()
    assert issued_keys
    assert not any(map(object_exists, issued_keys))


def test_a_request_announcing_more_than_the_limits_is_refused_unread(
    patient_client, claim, settings
):
    settings.DOCUMENT_MAX_FILE_MB = 1
    settings.DOCUMENT_MAX_FILES_PER_REQUEST = 2
    body = multipart([("big.txt", b"a" * (4 * MB))])

    response, bytes_read = post_raw(patient_client, claim, body)

    assert response.status_code == 413
    assert bytes_read == 0
    assert "too large to send together" in response.content.decode()


def test_a_file_in_a_field_the_form_does_not_have_is_refused_before_it_is_stored(
    patient_client, claim, issued_keys
):
    body = multipart([("letter.pdf", samples.pdf())]).replace(
        b'name="file_1"', b'name="attachment"'
    )

    response, _read = post_raw(patient_client, claim, body)

    assert response.status_code == 400
    assert "a field the form does not have, so nothing was saved" in response.content.decode()
    assert issued_keys == []  # no object was even begun
    assert not Document.objects.exists()


def test_an_unknown_field_after_an_accepted_file_leaves_nothing_behind(
    patient_client, claim, issued_keys
):
    body = multipart([("letter.pdf", samples.pdf()), ("extra.pdf", samples.pdf())]).replace(
        b'name="file_2"', b'name="file_99"'
    )

    response, _read = post_raw(patient_client, claim, body)

    assert response.status_code == 400
    assert len(issued_keys) == 1
    assert not object_exists(issued_keys[0])
    assert not Document.objects.exists()


@pytest.mark.parametrize("json", [False, True])
def test_an_upload_without_a_content_length_says_so(patient_client, claim, issued_keys, json):
    # Sent in chunks (Transfer-Encoding: chunked), a request carries no Content-Length.
    extra = {"HTTP_ACCEPT": "application/json"} if json else {}

    response, bytes_read = post_raw(
        patient_client,
        claim,
        multipart([("letter.pdf", samples.pdf())]),
        CONTENT_LENGTH="",
        **extra,
    )

    assert response.status_code == 411
    assert "without saying how large they are" in response.content.decode()
    assert "Choose a file" not in response.content.decode()
    assert bytes_read == 0
    assert issued_keys == []


def test_more_files_than_allowed_in_one_request_are_refused(patient_client, claim, settings):
    settings.DOCUMENT_MAX_FILES_PER_REQUEST = 2
    files = [(f"note{n}.txt", b"note\n") for n in range(3)]

    response, _read = post_raw(patient_client, claim, multipart(files))

    assert response.status_code == 400
    assert "You can send up to 2 files at a time." in response.content.decode()
    assert not Document.objects.exists()


def test_a_claims_total_is_enforced_while_streaming(patient_client, claim, settings):
    settings.DOCUMENT_MAX_TOTAL_PER_CLAIM_MB = 1
    assert upload(patient_client, claim, [("a.txt", b"a" * (MB // 2))]).status_code == 302

    response, bytes_read = post_raw(patient_client, claim, multipart([("b.txt", b"b" * 3 * MB)]))

    assert response.status_code == 413
    assert "A claim can hold 1 MB of documents in all" in response.content.decode()
    assert bytes_read < MB
    assert Document.objects.count() == 1


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("report\x00.txt", "report.txt"),
        ("invoice\u202etxt.exe.txt", "invoicetxt.exe.txt"),
        ("two\r\nlines.txt", "twolines.txt"),
        ("n" * 300 + ".txt", "n" * 196 + ".txt"),
        ("<img src=x onerror=alert(1)>.txt", "<img src=x onerror=alert(1)>.txt"),
    ],
)
def test_hostile_names_are_stored_cleaned_and_shown_escaped(patient_client, claim, sent, shown):
    response, _read = post_raw(patient_client, claim, multipart([(sent, b"Plain words.\n")]))

    assert response.status_code == 302, response.content.decode()[:2000]
    document = Document.objects.get()
    assert document.original_name == shown
    assert KEY.match(document.storage_key)
    page = patient_client.get(reverse("intake:claim_detail", args=[claim.pk])).content.decode()
    assert "<img src=x" not in page
    if "<" in shown:
        assert "&lt;img src=x onerror=alert(1)&gt;.txt" in page


def test_only_the_claims_patient_may_upload(claim, adjuster):
    other_patient = UserFactory()

    as_adjuster = upload(_signed_in(adjuster), claim, [("a.txt", b"a\n")])
    as_other = upload(_signed_in(other_patient), claim, [("a.txt", b"a\n")])

    assert as_adjuster.status_code == 403
    assert as_other.status_code == 404
    assert not Document.objects.exists()
    refused = AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED)
    assert {event.actor for event in refused} == {adjuster, other_patient}


def test_a_draft_takes_no_documents(patient, patient_client):
    draft = submitted_claim(claimant=patient, status=ClaimStatus.DRAFT)
    draft.reference = None
    draft.save()

    response = upload(patient_client, draft, [("a.txt", b"a\n")])

    assert response.status_code == 403
    assert not Document.objects.exists()


def test_signed_out_uploads_go_to_the_sign_in_page_unread(client, claim):
    response, bytes_read = post_raw(client, claim, multipart([("a.txt", b"a" * MB)]))

    assert response.status_code == 302
    assert "/accounts/login/" in response.headers["Location"]
    assert bytes_read == 0


def test_a_category_is_required_for_each_file(patient_client, claim, issued_keys):

    response = upload(patient_client, claim, [("a.txt", b"a\n")], categories={1: ""})

    assert response.status_code == 400
    assert "Choose what “a.txt” is." in response.content.decode()
    assert not Document.objects.exists()
    assert issued_keys
    assert not any(map(object_exists, issued_keys))


def test_with_s3_unreachable_the_upload_is_refused_and_nothing_is_saved(
    patient_client, claim, settings
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.S3_ENDPOINT_URL = f"http://127.0.0.1:{closed_port}"

    response = upload(patient_client, claim, [("a.pdf", samples.pdf())])

    assert response.status_code == 400
    assert "We could not store your files just now, so nothing was saved." in (
        response.content.decode()
    )
    assert not Document.objects.exists()


def test_the_upload_page_shows_the_form_with_limits(patient_client, claim):
    response = patient_client.get(reverse("documents:upload", args=[claim.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "You can send up to 5 files at a time, each up to 50 MB." in page
    assert 'enctype="multipart/form-data"' in page


def test_a_stored_object_left_without_a_row_is_not_kept_when_saving_fails(
    patient_client, claim, monkeypatch, issued_keys
):
    from documents import services

    def fail(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_document_create", fail)

    with pytest.raises(RuntimeError):
        upload(patient_client, claim, [("a.pdf", samples.pdf())])

    assert issued_keys
    assert not any(map(object_exists, issued_keys))
