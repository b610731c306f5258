import pytest
from django.db import DatabaseError, connection, transaction

from portal.models import AuditAction, AuditEvent, Role, User
from portal.request_context import RequestOrigin
from portal.services import advocates_verify, audit_event_record
from tests.factories import AdministratorFactory, AdvocateFactory, InsurerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_audit_event_record_keeps_who_what_which_and_where():
    actor = UserFactory()
    insurer = InsurerFactory()

    event = audit_event_record(
        action=AuditAction.VIEW,
        actor=actor,
        obj=insurer,
        origin=RequestOrigin(ip_address="203.0.113.9", user_agent="Firefox"),
    )

    event.refresh_from_db()
    assert (event.actor, event.action) == (actor, AuditAction.VIEW)
    assert (event.object_type, event.object_id) == ("portal.insurer", str(insurer.pk))
    assert (event.ip_address, event.user_agent) == ("203.0.113.9", "Firefox")
    assert event.occurred_at.utcoffset().total_seconds() == 0


def test_audit_events_cannot_be_changed_or_deleted_through_the_orm():
    event = audit_event_record(action=AuditAction.LOGIN_FAILED)

    with pytest.raises(TypeError, match="append-only"):
        event.save()
    with pytest.raises(TypeError, match="append-only"):
        event.delete()
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditAction.LOGIN)
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.all().delete()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE portal_auditevent SET action = 'login'",
        "DELETE FROM portal_auditevent",
    ],
)
def test_the_database_itself_refuses_to_rewrite_the_audit_log(statement):
    audit_event_record(action=AuditAction.LOGIN_FAILED)

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).count() == 1


def test_advocates_verify_marks_only_unverified_advocates_and_audits_each():
    admin = AdministratorFactory()
    waiting = AdvocateFactory()
    patient = UserFactory()

    count = advocates_verify(advocates=User.objects.all(), verified_by=admin)

    waiting.refresh_from_db()
    patient.refresh_from_db()
    assert count == 1
    assert waiting.is_verified_advocate
    assert patient.role == Role.PATIENT and patient.advocate_verified_at is None
    assert AuditEvent.objects.get(action=AuditAction.CHANGE).object_id == str(waiting.pk)
    assert advocates_verify(advocates=User.objects.all(), verified_by=admin) == 0
