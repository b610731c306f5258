"""Downloads, the status poll and the case page's Documents section, from outside."""

import urllib.request
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from documents import services
from documents.models import Document, ScanStatus
from portal.models import AuditAction, AuditEvent
from tests.documents import samples
from tests.documents.conftest import stored, submitted_claim
from tests.factories import (
    AdjusterFactory,
    AdministratorFactory,
    TriageLeadFactory,
    UserFactory,
)
from tests.portal.test_selectors import _signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def clean_pdf(claim, django_capture_on_commit_callbacks) -> Document:
    document = stored(claim, samples.pdf(), name="Brief für Dr. Müller.pdf")
    with django_capture_on_commit_callbacks(execute=True):
        services.document_scan_run(document_id=document.pk)
    document.refresh_from_db()
    assert document.is_downloadable
    return document


def _download(client, document):
    return client.get(reverse("documents:download", args=[document.pk]))


def test_the_patient_downloads_a_clean_file_through_a_short_lived_url(
    patient_client, patient, clean_pdf
):
    response = _download(patient_client, clean_pdf)

    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "no-store"
    url = response.headers["Location"]
    query = parse_qs(urlsplit(url).query)
    assert int(query["X-Amz-Expires"][0]) <= 60
    # The name is the object's own header, never part of the URL.
    assert not any(name.lower().startswith("response-") for name in query)
    assert "Muller" not in url and "M%C3%BCller" not in url
    with urllib.request.urlopen(url, timeout=10) as fetched:  # noqa: S310 - loopback S3
        assert fetched.read() == samples.pdf()
        assert fetched.headers["Content-Disposition"] == (
            'attachment; filename="Brief fur Dr. Muller.pdf"; '
            "filename*=UTF-8''Brief%20f%C3%BCr%20Dr.%20M%C3%BCller.pdf"
        )
        assert fetched.headers["Content-Type"] == "application/pdf"
    audit = AuditEvent.objects.get(action=AuditAction.VIEW, object_type="documents.document")
    assert audit.actor == patient
    assert audit.detail == {"download": True}


def test_the_assigned_adjuster_and_the_insurers_triage_lead_may_download(
    claim, adjuster, clean_pdf
):
    lead = TriageLeadFactory(insurer=claim.insurer)

    assert _download(_signed_in(adjuster), clean_pdf).status_code == 302
    assert _download(_signed_in(lead), clean_pdf).status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, detail__download=True).count() == 2


@pytest.mark.parametrize(
    "outsider",
    [
        pytest.param(lambda claim: UserFactory(), id="another patient"),
        pytest.param(lambda claim: AdjusterFactory(), id="an adjuster of another insurer"),
        pytest.param(lambda claim: TriageLeadFactory(), id="a triage lead of another insurer"),
        pytest.param(
            lambda claim: AdjusterFactory(insurer=claim.insurer),
            id="an unassigned adjuster of the same insurer",
        ),
    ],
)
def test_people_who_may_not_see_the_claim_get_404_and_an_audit_row(claim, clean_pdf, outsider):
    person = outsider(claim)

    response = _download(_signed_in(person), clean_pdf)

    assert response.status_code == 404
    refused = AuditEvent.objects.get(action=AuditAction.ACCESS_REFUSED, actor=person)
    assert refused.object_type == "documents.document"
    assert refused.object_id == str(clean_pdf.pk)
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW, detail__download=True).exists()


@pytest.mark.parametrize(
    "status", [ScanStatus.PENDING, ScanStatus.INFECTED, ScanStatus.UNSCANNABLE, ScanStatus.ERROR]
)
def test_a_file_that_has_not_passed_the_scan_is_never_served(patient_client, claim, status):
    document = stored(claim, samples.EICAR, scan_status=status)

    response = _download(patient_client, document)

    assert response.status_code == 409
    assert "Location" not in response.headers
    assert "has not passed the virus check" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW, detail__download=True).exists()


def test_a_withdrawn_file_is_never_served(patient_client, claim, clean_pdf):
    Document.objects.filter(pk=clean_pdf.pk).update(
        scan_status=ScanStatus.INFECTED, withdrawn_at=clean_pdf.scanned_at
    )

    assert _download(patient_client, clean_pdf).status_code == 409


def test_the_status_poll_lists_each_documents_state(patient_client, claim, clean_pdf):
    pending = stored(claim, samples.pdf(), name="second.pdf")

    response = patient_client.get(reverse("documents:status", args=[claim.pk]))

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.json()
    assert data["pending"] is True
    by_id = {item["id"]: item for item in data["documents"]}
    assert by_id[str(clean_pdf.pk)]["status"] == "clean"
    assert by_id[str(clean_pdf.pk)]["download_url"] == reverse(
        "documents:download", args=[clean_pdf.pk]
    )
    assert by_id[str(pending.pk)]["status"] == "pending"
    assert by_id[str(pending.pk)]["download_url"] is None


def test_the_status_poll_of_someone_elses_claim_is_404_and_audited(claim):
    stranger = UserFactory()

    response = _signed_in(stranger).get(reverse("documents:status", args=[claim.pk]))

    assert response.status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=stranger).exists()


def test_the_case_page_shows_documents_states_in_plain_words(patient_client, claim, clean_pdf):
    stored(claim, samples.EICAR, name="virus.txt", scan_status=ScanStatus.INFECTED)

    page = patient_client.get(reverse("intake:claim_detail", args=[claim.pk])).content.decode()

    assert reverse("documents:download", args=[clean_pdf.pk]) in page
    assert "We found a virus in this file, so nobody can open it." in page
    assert "Send documents" in page
    assert 'src="/static/js/documents.js"' in page


def test_staff_see_the_documents_without_the_upload_form(claim, adjuster, clean_pdf):
    page = _signed_in(adjuster).get(reverse("intake:claim_detail", args=[claim.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert clean_pdf.original_name in html
    assert "Send documents" not in html


def test_the_triage_lead_is_shown_files_whose_scan_failed(claim):
    lead = TriageLeadFactory(insurer=claim.insurer)
    stored(claim, samples.pdf(), name="stuck.pdf", scan_status=ScanStatus.ERROR)

    html = _signed_in(lead).get(reverse("intake:claim_detail", args=[claim.pk])).content.decode()

    assert "1 file needs attention" in html
    assert "Needs attention" in html


def test_the_patient_is_not_shown_staff_flags(patient_client, claim):
    stored(claim, samples.pdf(), name="stuck.pdf", scan_status=ScanStatus.ERROR)

    html = patient_client.get(reverse("intake:claim_detail", args=[claim.pk])).content.decode()

    assert "needs attention" not in html.lower()
    assert "Our staff have been told" in html


def test_another_claim_of_the_patient_does_not_list_these_documents(patient, patient_client):
    first = submitted_claim(claimant=patient)
    second = submitted_claim(claimant=patient)
    stored(first, samples.pdf(), name="only-on-first.pdf")

    html = patient_client.get(reverse("intake:claim_detail", args=[second.pk])).content.decode()

    assert "only-on-first.pdf" not in html


def _overdue(claim, settings, name="slow.pdf") -> Document:
    """A document still pending past DOCUMENT_SCAN_OVERDUE_MINUTES after its upload."""
    settings.DOCUMENT_SCAN_OVERDUE_MINUTES = 30
    document = stored(claim, samples.pdf(), name=name)
    Document.objects.filter(pk=document.pk).update(
        created_at=timezone.now() - timedelta(minutes=31)
    )
    return document


def test_the_patient_is_told_a_slow_check_is_taking_longer_than_usual(
    patient_client, claim, settings
):
    _overdue(claim, settings)
    stored(claim, samples.pdf(), name="fresh.pdf")

    html = patient_client.get(reverse("intake:claim_detail", args=[claim.pk])).content.decode()
    poll = patient_client.get(reverse("documents:status", args=[claim.pk])).json()

    assert html.count("taking longer than usual") == 1
    assert "needs attention" not in html.lower()
    messages = {item["name"]: item["message"] for item in poll["documents"]}
    assert "taking longer than usual" in messages["slow.pdf"]
    assert "taking longer than usual" not in messages["fresh.pdf"]


def test_the_triage_lead_is_shown_a_document_whose_check_is_overdue(claim, settings):
    _overdue(claim, settings)
    lead = TriageLeadFactory(insurer=claim.insurer)

    html = _signed_in(lead).get(reverse("intake:claim_detail", args=[claim.pk])).content.decode()

    assert "1 file needs attention" in html
    assert "Needs attention" in html


def test_the_administrator_finds_overdue_documents_with_the_admin_filter(claim, settings):
    slow = _overdue(claim, settings)
    stored(claim, samples.pdf(), name="fresh.pdf")
    admin = _signed_in(AdministratorFactory())

    listing = admin.get(reverse("admin:documents_document_changelist"), {"overdue": "yes"})

    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [slow]
