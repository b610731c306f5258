"""Erasure and correction (privacy/erasure.py): an account with no submitted claim is deleted by
its owner, drafts and their stored objects included; one with claims is refused with the
legal-claims reason; a contact correction is kept in the history and the adjuster is told."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from documents.models import Document
from intake.models import Claim, ClaimStatus
from notifications.models import Notification
from portal.models import AuditAction, AuditEvent, User
from privacy.erasure import account_erase
from privacy.holds import PrivacyError, legal_hold_place
from privacy.retention_models import ContactCorrection
from privacy.retention_objects import object_versions_count
from tests.factories import (
    AdjusterFactory,
    AdministratorFactory,
    ClaimFactory,
    CoverageFactory,
    UserFactory,
)
from tests.portal.test_selectors import _signed_in
from tests.privacy.retention_helpers import (
    stored_document,
    versioned_bucket,  # noqa: F401 - a fixture
)

pytestmark = pytest.mark.django_db


def _submitted(patient, **fields):
    coverage = CoverageFactory()
    adjuster = AdjusterFactory(insurer=coverage.insurer)
    return ClaimFactory(
        claimant=patient,
        status=ClaimStatus.UNDER_REVIEW,
        provider=coverage.provider,
        insurer=coverage.insurer,
        assigned_adjuster=adjuster,
        submitted_at=timezone.now(),
        phone="0113 496 0000",
        address="2 Park Row, Leeds",
        **fields,
    )


def test_an_account_with_only_drafts_is_deleted_with_them(versioned_bucket):  # noqa: F811
    patient = UserFactory(full_name="Sam Jones")
    draft = ClaimFactory(claimant=patient, status=ClaimStatus.DRAFT, description="Swab left in")
    document = stored_document(draft)
    client = _signed_in(patient)

    page = client.get(reverse("privacy:account_delete"))
    assert page.status_code == 200
    assert "1 unfinished claim" in page.content.decode()
    unconfirmed = client.post(reverse("privacy:account_delete"), {})
    assert unconfirmed.status_code == 400
    assert "Tick the box" in unconfirmed.content.decode()
    assert Claim.objects.filter(pk=draft.pk).exists()

    response = client.post(reverse("privacy:account_delete"), {"confirm": "on"})

    assert response.status_code == 200
    assert "Your account has been deleted" in response.content.decode()
    assert not Claim.objects.filter(pk=draft.pk).exists()
    assert not Document.objects.filter(pk=document.pk).exists()
    assert object_versions_count(document.storage_key) == 0
    patient.refresh_from_db()
    assert patient.full_name == "" and "Sam" not in patient.email
    assert not patient.is_active and not patient.has_usable_password()
    assert not EmailAddress.objects.filter(user=patient).exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.DELETE, object_type="portal.user", object_id=str(patient.pk)
    ).exists()
    # Signed out: the next page asks them to sign in.
    assert client.get(reverse("dashboard")).status_code == 302


def test_an_account_with_a_submitted_claim_is_not_deleted_and_is_told_why():
    patient = UserFactory()
    claim = _submitted(patient)
    client = _signed_in(patient)

    page = client.get(reverse("privacy:account_delete")).content.decode()
    refused = client.post(reverse("privacy:account_delete"), {"confirm": "on"})

    assert "Article 17(3)(e)" in page
    assert "10 years after the claim ends" in page
    assert refused.status_code == 409
    assert User.objects.get(pk=patient.pk).is_active
    assert Claim.objects.filter(pk=claim.pk).exists()
    with pytest.raises(PrivacyError):
        account_erase(user=patient)


def test_a_held_patient_cannot_delete_their_account():
    patient = UserFactory()
    legal_hold_place(actor=AdministratorFactory(), patient=patient, reason="Inquest")

    with pytest.raises(PrivacyError, match="legal matter"):
        account_erase(user=patient)


def test_a_correction_is_kept_in_the_history_and_the_adjuster_is_told():
    patient = UserFactory(full_name="Sam Jones")
    claim = _submitted(patient)

    response = _signed_in(patient).post(
        reverse("privacy:contact_correct"),
        {"full_name": "Sam Jones-Smith", "phone": "0113 496 0999", "address": "2 Park Row, Leeds"},
    )

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.phone == "0113 496 0999"
    patient.refresh_from_db()
    assert patient.full_name == "Sam Jones-Smith"
    correction = ContactCorrection.objects.get(claim=claim)
    assert correction.before == {"full_name": "Sam Jones", "phone": "0113 496 0000"}
    assert correction.after == {"full_name": "Sam Jones-Smith", "phone": "0113 496 0999"}
    assert correction.corrected_by == patient
    told = Notification.objects.filter(
        kind="contact_corrected", recipient=claim.assigned_adjuster, claim=claim
    )
    assert told.exists()
    # The adjuster's email names the event only, not the new details.
    assert all("0113" not in row.title for row in told)
    # The patient sees the history; so do the insurer's staff on the claim.
    history = _signed_in(patient).get(reverse("privacy:contact_correct")).content.decode()
    assert "0113 496 0000" in history
    staff_page = _signed_in(claim.assigned_adjuster).get(
        reverse("triage:claim_work", args=[claim.pk])
    )
    assert "0113 496 0000" in staff_page.content.decode()
    audit = AuditEvent.objects.get(
        object_type="intake.claim", object_id=str(claim.pk), action=AuditAction.CHANGE
    )
    assert "0113" not in str(audit.detail)


def test_a_correction_that_changes_nothing_is_refused_with_a_message():
    patient = UserFactory(full_name="Sam Jones")
    _submitted(patient)

    response = _signed_in(patient).post(
        reverse("privacy:contact_correct"),
        {"full_name": "Sam Jones", "phone": "0113 496 0000", "address": "2 Park Row, Leeds"},
    )

    assert response.status_code == 400
    assert "change at least one" in response.content.decode()
    assert not ContactCorrection.objects.exists()


def test_the_privacy_notice_is_public_and_gives_the_retention_table(client, settings):
    settings.PRIVACY_CONTROLLER_NAME = "Northshire Claims Ltd"

    response = client.get(reverse("privacy:notice"))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Northshire Claims Ltd" in content
    assert "Article 9(2)(f)" in content and "Information Commissioner" in content
    assert "10 years after the claim ended" in content
    assert reverse("privacy:your_data") in content
