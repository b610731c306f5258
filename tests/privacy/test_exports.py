"""Subject access exports against the real S3 server and clamd: a patient with two claims,
documents, letters and audit rows gets a zip listing every record and file with matching
checksums and nothing of another patient's; the link is theirs alone and ends after its days;
administrators record postal requests and extend deadlines with a reason the patient is told."""

import csv
import datetime
import hashlib
import io
import json
import time
import zipfile
from decimal import Decimal

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from documents import objects, services
from documents.models import Document, LetterKind
from intake.models import ClaimMessage, ClaimStatus, ClaimStatusChange, InformationRequest
from notifications.models import Channel, Notification
from portal.models import AuditAction, AuditEvent
from portal.services import audit_event_record
from privacy import export_services
from privacy.export_models import ExportChannel, ExportRequest, ExportState
from privacy.export_services import ExportError, ExportOutcome
from resolution.encryption import encrypt
from resolution.models import BankDetails, Offer, OfferState, Payment, Settlement
from tests.documents import samples
from tests.documents.conftest import object_exists, stored
from tests.factories import (
    AdjusterFactory,
    AdministratorFactory,
    ClaimFactory,
    CoverageFactory,
    UserFactory,
    authority_for,
    draft_answers,
)
from tests.portal.test_selectors import _signed_in

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
WORKER_TIMEOUT_S = 90
OTHER_SECRET = "Other patient's hip operation note"


@pytest.fixture(autouse=True)
def _delete_objects_afterwards():
    """Delete the objects of every document and export the test made."""
    yield
    try:
        keys = list(Document.objects.values_list("storage_key", flat=True))
        exports = list(ExportRequest.objects.exclude(storage_key="").values_list("storage_key"))
    except Exception:  # the database is already gone for this test
        return
    for key in keys:
        uuid_part = key.split("/", 1)[1]
        objects.delete_quietly(f"quarantine/{uuid_part}")
        objects.delete_quietly(f"clean/{uuid_part}")
    for (key,) in exports:
        objects.delete_quietly(key)


def _claim(patient, adjuster, **fields):
    coverage = CoverageFactory(insurer=adjuster.insurer)
    return ClaimFactory(
        **{**draft_answers(), **fields},
        claimant=patient,
        status=ClaimStatus.UNDER_REVIEW,
        provider=coverage.provider,
        insurer=adjuster.insurer,
        assigned_adjuster=adjuster,
        submitted_at=timezone.now(),
    )


def _clean(claim, content: bytes, *, name: str, **fields) -> Document:
    """A document stored in S3 and passed by the real clamd (promoted to its clean key)."""
    document = stored(claim, content, name=name, **fields)
    assert services.document_scan_run(document_id=document.pk) == "clean"
    document.refresh_from_db()
    assert document.is_downloadable
    return document


def _text_file(size: int, seed: int) -> bytes:
    line = f"Receipt line {seed}: physiotherapy session, paid in full.\n".encode()
    return (line * (size // len(line) + 1))[:size]


@pytest.fixture
def adjuster(db):
    return AdjusterFactory(full_name="Asha Patel")


@pytest.fixture
def patient(db):
    return UserFactory(full_name="Robin Ellis", email="robin@example.org")


@pytest.fixture
def case(patient, adjuster):
    """Two claims of the patient's with documents, letters, messages, an information request,
    an offer answered, a settlement with a payment, bank details, an advocate, and the
    adjuster's views and downloads in the audit log; and another patient's claim beside it."""
    first = _claim(patient, adjuster, description="The wrong knee was operated on.")
    second = _claim(patient, adjuster, description="A missed fracture at A&E.")
    ClaimStatusChange.objects.create(
        claim=first, from_status="submitted", to_status="under_review", actor=adjuster
    )
    ClaimMessage.objects.create(claim=first, author=patient, body="Here is my physio receipt.")
    asked = ClaimMessage.objects.create(claim=second, author=adjuster, body="Please send X-rays.")
    InformationRequest.objects.create(
        claim=second, message=asked, due_date=timezone.localdate() + datetime.timedelta(days=14)
    )
    offer = Offer.objects.create(
        claim=first,
        round=1,
        made_by=adjuster,
        amount=Decimal("10000.00"),
        breakdown=[{"head": "general_damages", "past": "10000.00", "future": "0.00"}],
        respond_by=timezone.localdate(),
        state=OfferState.ACCEPTED,
        answered_by=patient,
        answered_at=timezone.now(),
    )
    settlement = Settlement.objects.create(
        claim=first, offer=offer, amount=Decimal("10000.00"), agreed_by=patient
    )
    Payment.objects.create(
        settlement=settlement,
        amount=Decimal("10000.00"),
        paid_on=timezone.localdate(),
        method="bank_transfer",
        finance_reference="FIN-778",
        recorded_by=adjuster,
    )
    BankDetails.objects.create(
        claim=first,
        account_name_encrypted=encrypt("Robin Ellis"),
        sort_code_encrypted=encrypt("20-00-56"),
        account_number_encrypted=encrypt("31926819"),
        given_by=patient,
    )
    advocate = authority_for(first)
    documents = [
        _clean(first, samples.pdf("Discharge summary"), name="discharge.pdf"),
        # Larger than one part: the zip goes to S3 as a multipart upload.
        _clean(first, _text_file(6 * MB, seed=1), name="receipts.txt"),
        _clean(second, samples.png(), name="x-ray.png"),
    ]
    letters = [
        _clean(first, samples.pdf("Offer"), name="Offer letter.pdf", letter_kind=LetterKind.OFFER),
        _clean(
            second,
            samples.pdf("Acknowledgement"),
            name="Acknowledgement letter.pdf",
            letter_kind=LetterKind.ACKNOWLEDGEMENT,
        ),
    ]
    pending = stored(first, b"not scanned yet", name="pending.txt")
    audit_event_record(action=AuditAction.VIEW, actor=adjuster, obj=first)
    audit_event_record(
        action=AuditAction.VIEW, actor=adjuster, obj=documents[0], detail={"download": True}
    )
    audit_event_record(action=AuditAction.VIEW, actor=advocate, obj=second)

    other_patient = UserFactory(full_name="Sam Other")
    other = _claim(other_patient, adjuster, description=OTHER_SECRET)
    ClaimMessage.objects.create(claim=other, author=other_patient, body=OTHER_SECRET)
    other_document = _clean(other, samples.pdf(OTHER_SECRET), name="other-secret.pdf")
    audit_event_record(action=AuditAction.VIEW, actor=adjuster, obj=other)
    return {
        "claims": [first, second],
        "documents": documents,
        "letters": letters,
        "pending": pending,
        "advocate": advocate,
        "other": other,
        "other_document": other_document,
        "other_patient": other_patient,
    }


def _built(patient, *, requested_by=None) -> ExportRequest:
    export = export_services.export_request_create(
        patient=patient, requested_by=requested_by or patient
    )
    assert export_services.export_build(export_id=export.pk) == ExportOutcome.READY
    export.refresh_from_db()
    return export


def _zip_of(export: ExportRequest) -> zipfile.ZipFile:
    body, _etag = objects.open_stream(export.storage_key)
    return zipfile.ZipFile(io.BytesIO(body.read()))


def test_an_export_lists_every_record_and_file_with_matching_checksums(patient, case):
    export = _built(patient)

    assert export.state == ExportState.READY
    assert export.storage_key.startswith("exports/")
    assert patient.email not in export.storage_key
    head = objects.client().head_object(Bucket=settings.S3_BUCKET, Key=export.storage_key)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentLength"] == export.size > 5 * MB  # written as a multipart upload
    archive = _zip_of(export)
    assert archive.testzip() is None
    names = archive.namelist()
    first, second = (claim.reference for claim in case["claims"])
    assert {
        "README.txt",
        "records/account.json",
        f"records/claims/{first}.json",
        f"records/claims/{second}.json",
        "records/authorities.json",
        "records/notifications.json",
        "records/disclosures.csv",
        f"documents/{first}/001 discharge.pdf",
        f"documents/{first}/002 receipts.txt",
        f"documents/{second}/001 x-ray.png",
        f"letters/{first}/001 Offer letter.pdf",
        f"letters/{second}/001 Acknowledgement letter.pdf",
        "manifest.json",
    } == set(names)
    assert export.files == len(names)

    # The manifest lists every other file, with the SHA-256 of the bytes in the zip; a
    # document's is the one recorded when it was uploaded.
    manifest = {
        entry["path"]: entry for entry in json.loads(archive.read("manifest.json"))["files"]
    }
    assert set(manifest) == set(names) - {"manifest.json"}
    for name, entry in manifest.items():
        content = archive.read(name)
        assert entry["sha256"] == hashlib.sha256(content).hexdigest(), name
        assert entry["bytes"] == len(content)
    by_name = {d.original_name: d for d in case["documents"] + case["letters"]}
    assert (
        manifest[f"documents/{first}/002 receipts.txt"]["sha256"] == by_name["receipts.txt"].sha256
    )
    assert manifest[f"letters/{first}/001 Offer letter.pdf"]["sha256"] == (
        by_name["Offer letter.pdf"].sha256
    )

    record = json.loads(archive.read(f"records/claims/{first}.json"))
    assert record["description"] == "The wrong knee was operated on."
    assert record["status_history"][0]["by"] == {"name": "Asha Patel", "role": "Adjuster"}
    assert [m["body"] for m in record["messages"]] == ["Here is my physio receipt."]
    assert record["offers"][0]["amount"] == "10000.00"
    assert record["settlement"]["payments"][0]["finance_reference"] == "FIN-778"
    assert record["bank_details_masked"]["account_number"] == "****6819"
    assert "31926819" not in json.dumps(record)
    listed = {d["name"]: d["in_this_copy"] for d in record["documents"]}
    assert listed["pending.txt"] is False  # listed, not copied: it has not passed the scan
    assert (
        json.loads(archive.read(f"records/claims/{second}.json"))["information_requests"][0][
            "asked"
        ]
        == "Please send X-rays."
    )
    assert json.loads(archive.read("records/account.json"))["email"] == "robin@example.org"
    assert len(json.loads(archive.read("records/authorities.json"))) == 1

    disclosures = list(
        csv.DictReader(io.StringIO(archive.read("records/disclosures.csv").decode()))
    )
    seen = {(row["who"], row["what"], row["record"], row["record_id"]) for row in disclosures}
    assert ("Asha Patel", "viewed", "claim", first) in seen
    assert ("Asha Patel", "downloaded", "document", str(case["documents"][0].pk)) in seen
    assert (case["advocate"].get_full_name(), "viewed", "claim", second) in seen
    assert all(row["organisation"] in ("", case["claims"][0].insurer.name) for row in disclosures)

    # Nothing of the other patient's is anywhere in the zip.
    for name in names:
        content = archive.read(name)
        assert OTHER_SECRET.encode() not in content, name
        assert case["other"].reference.encode() not in content, name
        assert str(case["other_document"].pk).encode() not in content, name


def test_the_patient_downloads_their_copy_and_each_download_is_audited(patient, case):
    export = _built(patient)
    client = _signed_in(patient)
    url = reverse("privacy:export_download", args=[export.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert export.storage_key in response.url
    assert "your-data-" in response.url  # the suggested file name, naming no one
    client.get(url)
    downloads = AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_type="privacy.exportrequest", object_id=str(export.pk)
    )
    assert downloads.count() == 2
    assert all(event.actor_id == patient.pk and event.detail["download"] for event in downloads)


def test_anyone_else_is_told_the_copy_does_not_exist_and_audited(patient, case, adjuster):
    export = _built(patient)
    url = reverse("privacy:export_download", args=[export.pk])

    for stranger in (case["other_patient"], adjuster, case["advocate"], AdministratorFactory()):
        response = _signed_in(stranger).get(url)

        assert response.status_code == 404, stranger.role
        assert AuditEvent.objects.filter(
            action=AuditAction.ACCESS_REFUSED,
            actor=stranger,
            object_type="privacy.exportrequest",
            object_id=str(export.pk),
        ).exists()
    assert not AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_type="privacy.exportrequest"
    ).exists()


def test_the_link_fails_after_its_days_and_the_purge_deletes_the_zip(patient, case):
    export = _built(patient)
    url = reverse("privacy:export_download", args=[export.pk])
    just_before = export.ready_at + datetime.timedelta(
        days=settings.PRIVACY_EXPORT_DAYS, minutes=-1
    )
    after = export.ready_at + datetime.timedelta(days=settings.PRIVACY_EXPORT_DAYS, minutes=1)

    with time_machine.travel(just_before, tick=False):
        assert _signed_in(patient).get(url).status_code == 302
        assert export_services.exports_purge_expired(now=timezone.now()) == 0
    with time_machine.travel(after, tick=False):
        response = _signed_in(patient).get(url)
        assert response.status_code == 403
        assert "has now been deleted" in response.content.decode()
        assert AuditEvent.objects.filter(
            action=AuditAction.ACCESS_REFUSED, actor=patient, detail__reason="export expired"
        ).exists()

    # The purge runs on the real clock (S3 refuses requests signed a week ahead), told the time.
    assert export_services.exports_purge_expired(now=after) == 1
    export.refresh_from_db()
    assert export.state == ExportState.EXPIRED
    assert not object_exists(export.storage_key)
    assert export_services.exports_purge_expired(now=after) == 0  # idempotent
    with time_machine.travel(after, tick=False):
        assert _signed_in(patient).get(url).status_code == 403


def test_a_patient_asks_on_your_data_once_while_it_is_prepared(patient, case):
    client = _signed_in(patient)

    page = client.get(reverse("privacy:your_data"))
    assert page.status_code == 200
    assert "Ask for a copy of your data" in page.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, actor=patient, object_type="portal.user", object_id=str(patient.pk)
    ).exists()
    client.post(reverse("privacy:export_ask"))
    again = client.post(reverse("privacy:export_ask"), follow=True)

    assert ExportRequest.objects.filter(patient=patient).count() == 1
    assert "We are already preparing a copy of your data" in again.content.decode()
    export = ExportRequest.objects.get(patient=patient)
    assert export.channel == ExportChannel.PORTAL
    assert export.due_on == export.received_on + relativedelta(months=1)
    assert "Being prepared" in again.content.decode()


def test_your_data_is_for_patients(adjuster, case):
    for person in (adjuster, case["advocate"]):
        response = _signed_in(person).get(reverse("privacy:your_data"))
        assert response.status_code == 403
    with pytest.raises(ExportError):
        export_services.export_request_create(patient=adjuster, requested_by=adjuster)


def test_the_patient_is_emailed_that_their_copy_is_ready_and_nothing_more(
    patient, case, django_capture_on_commit_callbacks
):
    export = export_services.export_request_create(patient=patient, requested_by=patient)
    with django_capture_on_commit_callbacks(execute=True):
        export_services.export_build(export_id=export.pk)

    [email] = [m for m in mail.outbox if m.to == [patient.email]]
    assert email.subject.endswith("Your copy of your data is ready")
    body = email.body
    for detail in ("knee", "10000", case["claims"][0].reference, "discharge"):
        assert detail not in body
    assert Notification.objects.filter(
        recipient=patient, kind="export_ready", channel=Channel.IN_APP
    ).exists()


def test_an_administrator_records_a_postal_request_on_the_patients_behalf(patient, case):
    admin = _signed_in(AdministratorFactory())
    add_url = reverse("admin:privacy_exportrequest_add")
    received = timezone.localdate() - datetime.timedelta(days=3)

    unknown = admin.post(
        add_url, {"email": "nobody@example.org", "received_on": received, "identity_checked": "on"}
    )
    assert "No patient has an account with this email address" in unknown.content.decode()
    unchecked = admin.post(add_url, {"email": patient.email, "received_on": received})
    assert "Check the letter comes from the patient first" in unchecked.content.decode()
    assert not ExportRequest.objects.exists()

    response = admin.post(
        add_url, {"email": patient.email.upper(), "received_on": received, "identity_checked": "on"}
    )

    assert response.status_code == 302
    export = ExportRequest.objects.get(patient=patient)
    assert export.channel == ExportChannel.POST
    assert export.received_on == received
    assert export.due_on == received + relativedelta(months=1)
    created = AuditEvent.objects.get(action=AuditAction.CREATE, object_id=str(export.pk))
    assert created.actor == export.requested_by != patient
    assert created.detail["on_behalf"] is True
    listing = admin.get(reverse("admin:privacy_exportrequest_changelist")).content.decode()
    assert f"{export.due_on:%d %b %Y}" in listing
    assert "Being prepared" in listing


def test_an_extension_needs_a_reason_and_tells_the_patient(
    patient, case, django_capture_on_commit_callbacks
):
    export = export_services.export_request_create(patient=patient, requested_by=patient)
    admin = _signed_in(AdministratorFactory())
    url = reverse("admin:privacy_exportrequest_extend", args=[export.pk])

    refused = admin.post(url, {"months": "2", "reason": "  "})
    assert "This field is required" in refused.content.decode()
    too_long = admin.post(url, {"months": "3", "reason": "Many records."})
    assert too_long.status_code == 200
    export.refresh_from_db()
    assert export.extended_to is None
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        done = admin.post(url, {"months": "2", "reason": "Your records span many years."})

    assert done.status_code == 302
    export.refresh_from_db()
    assert export.extended_to == export.due_on + relativedelta(months=2)
    assert export.extension_reason == "Your records span many years."
    [email] = [m for m in mail.outbox if m.to == [patient.email]]
    assert email.subject.endswith("We need more time to send you a copy of your data")
    assert "many years" not in email.body
    page = _signed_in(patient).get(reverse("privacy:your_data")).content.decode()
    assert "Your records span many years." in page
    assert f"{export.extended_to:%-d %B %Y}" in page
    with pytest.raises(ExportError):
        export_services.export_extend(
            export_id=export.pk, months=1, reason="Again.", actor=export.patient
        )


def test_a_build_repeated_or_after_an_answer_changes_nothing(patient, case):
    export = _built(patient)
    key = export.storage_key

    assert export_services.export_build(export_id=export.pk) == ExportOutcome.SKIPPED
    export.refresh_from_db()
    assert export.storage_key == key
    assert Notification.objects.filter(kind="export_ready", recipient=patient).count() == 2


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_worker_builds_the_copy_asked_for_and_emails_the_patient(celery_worker, patient, case):
    client = _signed_in(patient)

    client.post(reverse("privacy:export_ask"))

    export = ExportRequest.objects.get(patient=patient)
    deadline = time.monotonic() + WORKER_TIMEOUT_S
    while time.monotonic() < deadline:
        export.refresh_from_db()
        mails = [
            text
            for text in (path.read_text() for path in celery_worker.mail_dir.iterdir())
            if patient.email in text and "Your copy of your data is ready" in text
        ]
        if export.state == ExportState.READY and mails:
            break
        time.sleep(0.25)
    assert export.state == ExportState.READY
    assert len(mails) == 1
    assert "knee" not in mails[0]
    assert _zip_of(export).testzip() is None
