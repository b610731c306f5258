"""The admin: administrators read the audit log and manage organisations; nobody edits history."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from documents.models import Document
from notifications.models import Channel, Notification, State
from portal.models import AuditAction, AuditEvent, Insurer, Role, User
from portal.services import audit_event_record
from tests.documents.conftest import submitted_claim
from tests.factories import AdministratorFactory, AdvocateFactory, TriageLeadFactory, UserFactory
from tests.portal.test_selectors import _signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    return _signed_in(AdministratorFactory())


def test_administrators_read_the_audit_log(admin_client):
    event = audit_event_record(action=AuditAction.LOGIN_FAILED, detail={"login": "x@example.org"})

    listing = admin_client.get(reverse("admin:portal_auditevent_changelist"))
    detail = admin_client.get(reverse("admin:portal_auditevent_change", args=[event.pk]))

    assert listing.status_code == 200
    assert "Failed sign-in" in listing.content.decode()
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()


def test_nobody_can_change_or_delete_audit_events_in_the_admin(admin_client):
    event = audit_event_record(action=AuditAction.LOGIN_FAILED)

    delete = admin_client.post(
        reverse("admin:portal_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )
    change = admin_client.post(
        reverse("admin:portal_auditevent_change", args=[event.pk]), {"action": "login"}
    )
    add = admin_client.get(reverse("admin:portal_auditevent_add"))

    assert delete.status_code == 403
    assert change.status_code == 403
    assert add.status_code == 403
    event.refresh_from_db()
    assert event.action == AuditAction.LOGIN_FAILED


def test_administrators_manage_insurers(admin_client):
    response = admin_client.post(
        reverse("admin:portal_insurer_add"),
        {
            "name": "Harbour Mutual",
            "contact_email": "claims@harbour.example",
            "is_active": "on",
            "coverages-TOTAL_FORMS": "0",
            "coverages-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    assert Insurer.objects.filter(name="Harbour Mutual").exists()


def test_administrators_verify_advocates_with_an_audited_action(admin_client):
    advocate = AdvocateFactory()

    admin_client.post(
        reverse("admin:portal_user_changelist"),
        {"action": "verify_advocates", "_selected_action": [advocate.pk]},
    )

    advocate.refresh_from_db()
    assert advocate.is_verified_advocate
    assert AuditEvent.objects.filter(action=AuditAction.CHANGE, object_id=str(advocate.pk))


def test_triage_leads_are_refused_the_admin_and_the_refusal_is_audited():
    lead = TriageLeadFactory()
    client = _signed_in(lead)

    response = client.get(reverse("admin:index"), follow=True)

    assert lead.role == Role.TRIAGE_LEAD
    assert response.status_code == 403
    assert "You cannot do that" in response.content.decode()
    refused = AuditEvent.objects.get(action=AuditAction.ACCESS_REFUSED)
    assert (refused.actor, refused.object_type) == (lead, "admin_site")


def test_signed_out_visitors_to_the_admin_are_sent_to_the_portal_sign_in(client):
    response = client.get(reverse("admin:index"), follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))


def test_administrators_add_an_administrator_who_gets_admin_site_access(admin_client):
    response = admin_client.post(
        reverse("admin:portal_user_add"),
        {
            "email": "second.admin@example.org",
            "full_name": "Second Admin",
            "role": Role.ADMINISTRATOR,
            "password1": "a-long-admin-password-1",
            "password2": "a-long-admin-password-1",
        },
    )

    assert response.status_code == 302
    added = User.objects.get(email="second.admin@example.org")
    assert added.is_staff and added.requires_mfa


def test_a_patient_added_in_the_admin_gets_no_admin_site_access(admin_client):
    admin_client.post(
        reverse("admin:portal_user_add"),
        {
            "email": "pat@example.org",
            "role": Role.PATIENT,
            "password1": "a-long-patient-password-1",
            "password2": "a-long-patient-password-1",
        },
    )

    assert not User.objects.get(email="pat@example.org").is_staff


def test_the_admin_sign_in_page_sends_a_signed_in_administrator_to_the_admin(admin_client):
    response = admin_client.get(reverse("admin:login"))
    following = admin_client.get(reverse("admin:login"), {"next": "/admin/portal/insurer/"})
    offsite = admin_client.get(reverse("admin:login"), {"next": "https://evil.example/admin/"})

    assert response.headers["Location"] == reverse("admin:index")
    assert following.headers["Location"] == "/admin/portal/insurer/"
    assert offsite.headers["Location"] == reverse("admin:index")


def test_changes_made_in_the_admin_are_in_the_audit_log(admin_client):
    insurer = Insurer.objects.create(name="Old Name Mutual")

    admin_client.post(
        reverse("admin:portal_insurer_change", args=[insurer.pk]),
        {
            "name": "New Name Mutual",
            "contact_email": "",
            "is_active": "on",
            "coverages-TOTAL_FORMS": "0",
            "coverages-INITIAL_FORMS": "0",
        },
    )

    change = AuditEvent.objects.get(action=AuditAction.CHANGE, object_id=str(insurer.pk))
    assert change.detail == {"via": "admin", "fields": ["Name"]}


def test_a_team_cannot_take_an_adjuster_of_another_insurer(admin_client):
    from tests.factories import AdjusterFactory, InsurerFactory
    from triage.models import Team

    insurer = InsurerFactory()
    outsider = AdjusterFactory()

    response = admin_client.post(
        reverse("admin:triage_team_add"),
        {"insurer": insurer.pk, "name": "Complex", "members": [outsider.pk]},
    )

    assert response.status_code == 200
    assert "Only adjusters who work for" in response.content.decode()
    assert not Team.objects.exists()


# --- Views of personal data in the admin are audited --------------------------------------------


def _user():
    return UserFactory()


def _audit_event():
    return audit_event_record(action=AuditAction.LOGIN_FAILED, detail={"login": "x@example.org"})


def _claim():
    return submitted_claim()


def _document():
    claim = submitted_claim()
    return Document.objects.create(
        claim=claim,
        uploader=claim.claimant,
        category="other",
        original_name="scan.pdf",
        storage_key=f"quarantine/{uuid.uuid4()}",
        size=10,
        sha256="0" * 64,
        content_type="application/pdf",
    )


def _notification():
    return Notification.objects.create(
        recipient=UserFactory(),
        channel=Channel.EMAIL,
        kind="claim_submitted",
        title="We have received your claim",
        state=State.SENT,
        idempotency_key=f"test:{uuid.uuid4()}",
    )


PERSONAL_DATA = {
    "portal_user": _user,
    "portal_auditevent": _audit_event,
    "intake_claim": _claim,
    "documents_document": _document,
    "notifications_notification": _notification,
}


def _views(obj) -> list[dict]:
    return list(
        AuditEvent.objects.filter(
            action=AuditAction.VIEW, object_type=obj._meta.label_lower, object_id=str(obj.pk)
        ).values_list("detail", flat=True)
    )


@pytest.mark.parametrize("admin_name", PERSONAL_DATA)
def test_each_listed_object_of_personal_data_is_audited_as_viewed_in_one_statement(
    admin_client, admin_name
):
    shown = [PERSONAL_DATA[admin_name]() for _ in range(3)]

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse(f"admin:{admin_name}_changelist"))

    assert response.status_code == 200
    for obj in shown:
        assert _views(obj) == [{"via": "admin", "page": "list"}]
    audit_inserts = [
        query for query in queries if query["sql"].startswith('INSERT INTO "portal_auditevent"')
    ]
    assert len(audit_inserts) == 1


@pytest.mark.parametrize("admin_name", PERSONAL_DATA)
def test_the_detail_page_of_personal_data_is_audited_as_one_view(admin_client, admin_name):
    obj, other = PERSONAL_DATA[admin_name](), PERSONAL_DATA[admin_name]()

    response = admin_client.get(reverse(f"admin:{admin_name}_change", args=[obj.pk]))

    assert response.status_code == 200
    assert _views(obj) == [{"via": "admin", "page": "detail"}]
    assert _views(other) == []


def test_a_missing_object_is_not_audited_as_viewed(admin_client):
    before = AuditEvent.objects.filter(action=AuditAction.VIEW).count()

    response = admin_client.get(reverse("admin:portal_user_change", args=[10**9]))

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.VIEW).count() == before
