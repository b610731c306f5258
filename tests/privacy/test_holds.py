"""Legal holds (privacy/holds.py): placed by a triage lead on their insurer's claim from the staff
claim page, or by an administrator in the admin; lifted only with a reason; both audited; a held
patient's stale drafts and a held claim's infected files are kept."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from documents.models import Document, ScanStatus
from documents.services import documents_purge_infected
from intake.models import Claim, ClaimStatus
from intake.services import drafts_remind_and_purge
from portal.models import AuditAction, AuditEvent
from privacy.holds import PrivacyError, legal_hold_lift, legal_hold_place
from privacy.retention_models import LegalHold
from tests.date_input_posts import date_parts
from tests.factories import (
    AdministratorFactory,
    ClaimFactory,
    CoverageFactory,
    TriageLeadFactory,
    UserFactory,
)
from tests.portal.test_selectors import _signed_in
from tests.privacy.retention_helpers import (
    stored_document,
    versioned_bucket,  # noqa: F401 - a fixture
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim():
    coverage = CoverageFactory()
    return ClaimFactory(
        status=ClaimStatus.UNDER_REVIEW,
        provider=coverage.provider,
        insurer=coverage.insurer,
        submitted_at=timezone.now(),
    )


@pytest.fixture
def lead(claim):
    return TriageLeadFactory(insurer=claim.insurer)


def test_a_lead_places_a_hold_from_the_claim_page_and_it_is_audited(claim, lead):
    client = _signed_in(lead)
    page = client.get(reverse("triage:claim_work", args=[claim.pk]))
    assert "Place a legal hold" in page.content.decode()
    for part in ("day", "month", "year"):
        assert f'name="review_on_{part}"' in page.content.decode()

    response = client.post(
        reverse("privacy:hold_place", args=[claim.pk]),
        {"reason": "Claimant has issued proceedings", **date_parts("review_on", (31, 12, 2030))},
    )

    assert response.status_code == 302
    hold = LegalHold.objects.get(claim=claim)
    assert hold.is_active and hold.placed_by == lead
    assert hold.review_on == datetime.date(2030, 12, 31)
    row = AuditEvent.objects.get(object_type="privacy.legalhold", action=AuditAction.CREATE)
    assert row.actor == lead and "proceedings" not in str(row.detail)
    page = client.get(reverse("triage:claim_work", args=[claim.pk])).content.decode()
    assert "This claim is on legal hold" in page
    assert "Claimant has issued proceedings" in page


def test_a_hold_without_a_reason_is_refused_with_a_message(claim, lead):
    response = _signed_in(lead).post(
        reverse("privacy:hold_place", args=[claim.pk]),
        {"reason": "  ", **date_parts("review_on", (1, 1, 2000))},
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "Give the reason for the hold." in content
    assert "The review date must be today or in the future." in content
    assert not LegalHold.objects.exists()


def test_a_lead_of_another_insurer_cannot_hold_the_claim(claim):
    stranger = TriageLeadFactory()

    response = _signed_in(stranger).post(
        reverse("privacy:hold_place", args=[claim.pk]), {"reason": "Curious"}
    )

    assert response.status_code == 404
    assert not LegalHold.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=stranger).exists()


def test_lifting_needs_a_reason_and_is_audited(claim, lead):
    hold = legal_hold_place(actor=lead, claim=claim, reason="Complaint to the ombudsman")
    client = _signed_in(lead)

    refused = client.post(reverse("privacy:hold_lift", args=[hold.pk]), {"lift_reason": ""})
    assert refused.status_code == 400
    assert "Give the reason for lifting the hold." in refused.content.decode()
    hold.refresh_from_db()
    assert hold.is_active

    lifted = client.post(
        reverse("privacy:hold_lift", args=[hold.pk]), {"lift_reason": "Ombudsman closed it"}
    )

    assert lifted.status_code == 302
    hold.refresh_from_db()
    assert not hold.is_active and hold.lift_reason == "Ombudsman closed it"
    assert AuditEvent.objects.filter(
        object_type="privacy.legalhold", object_id=str(hold.pk), action=AuditAction.CHANGE
    ).exists()
    with pytest.raises(PrivacyError):
        legal_hold_lift(actor=lead, hold=hold, reason="Again")


def test_only_an_administrator_holds_a_whole_patient(claim, lead):
    with pytest.raises(PrivacyError):
        legal_hold_place(actor=lead, patient=claim.claimant, reason="Inquest")

    hold = legal_hold_place(actor=AdministratorFactory(), patient=claim.claimant, reason="Inquest")

    assert hold.is_active


def test_administrators_see_the_list_of_holds_in_the_admin(claim, lead):
    legal_hold_place(actor=lead, claim=claim, reason="Litigation")
    admin = AdministratorFactory()

    response = _signed_in(admin).get(reverse("admin:privacy_legalhold_changelist"))

    assert response.status_code == 200
    assert claim.reference in response.content.decode()


def test_a_held_patients_stale_draft_is_not_purged_until_the_hold_is_lifted():
    patient = UserFactory()
    admin = AdministratorFactory()
    now = timezone.now()
    draft = ClaimFactory(claimant=patient, status=ClaimStatus.DRAFT)
    Claim.objects.filter(pk=draft.pk).update(
        updated_at=now - datetime.timedelta(days=100),
        draft_reminded_at=now - datetime.timedelta(days=90),
    )
    hold = legal_hold_place(actor=admin, patient=patient, reason="Inquest")

    run = drafts_remind_and_purge(now=now)

    assert run.purged == 0
    assert Claim.objects.filter(pk=draft.pk).exists()

    legal_hold_lift(actor=admin, hold=hold, reason="Inquest over")
    assert drafts_remind_and_purge(now=now).purged == 1
    assert not Claim.objects.filter(pk=draft.pk).exists()


def test_a_held_claims_infected_file_is_not_purged(claim, lead, versioned_bucket):  # noqa: F811
    long_ago = timezone.now() - datetime.timedelta(days=365)
    held = stored_document(claim, versions=1, scan_status=ScanStatus.INFECTED, scanned_at=long_ago)
    other_claim = ClaimFactory(status=ClaimStatus.UNDER_REVIEW, submitted_at=timezone.now())
    free = stored_document(
        other_claim, versions=1, scan_status=ScanStatus.INFECTED, scanned_at=long_ago
    )
    legal_hold_place(actor=lead, claim=claim, reason="Litigation")

    purged = documents_purge_infected(now=timezone.now())

    assert purged == 1
    assert Document.objects.get(pk=held.pk).purged_at is None
    assert Document.objects.get(pk=free.pk).purged_at is not None
