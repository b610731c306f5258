import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from portal.models import AuditAction, AuditEvent, Coverage, Role, User
from portal.services import audit_event_record
from tests.factories import CoverageFactory, InsurerFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def test_email_is_the_login_name_and_is_stored_in_lower_case():
    user = User.objects.create_user("Mixed.Case@Example.ORG", "a-long-password-1")

    assert user.email == "mixed.case@example.org"
    assert user.role == Role.PATIENT
    assert user.check_password("a-long-password-1")


def test_createsuperuser_makes_an_administrator():
    admin = User.objects.create_superuser("root@example.org", "a-long-password-1")

    assert admin.role == Role.ADMINISTRATOR
    assert admin.is_staff and admin.requires_mfa


@pytest.mark.parametrize("role", [Role.ADJUSTER, Role.TRIAGE_LEAD])
def test_insurer_staff_must_belong_to_an_insurer(role):
    with pytest.raises(ValidationError, match="must belong to an insurer"):
        User.objects.create_user("staff@example.org", "a-long-password-1", role=role)


def test_patients_cannot_belong_to_an_insurer_even_bypassing_validation():
    user = User(email="p@example.org", role=Role.PATIENT, insurer=InsurerFactory())

    with pytest.raises(IntegrityError):
        user.save()


def test_coverage_on_picks_coverage_in_force_that_day():
    provider = ProviderFactory()
    old = CoverageFactory(
        provider=provider,
        starts_on=datetime.date(2019, 1, 1),
        ends_on=datetime.date(2021, 12, 31),
    )
    current = CoverageFactory(provider=provider, starts_on=datetime.date(2022, 1, 1))

    assert list(Coverage.objects.on(datetime.date(2021, 12, 31))) == [old]
    assert list(Coverage.objects.on(datetime.date(2022, 1, 1))) == [current]
    assert not Coverage.objects.on(datetime.date(2018, 12, 31)).exists()


def test_overlapping_coverage_for_one_provider_is_refused():
    existing = CoverageFactory(starts_on=datetime.date(2020, 1, 1))
    overlapping = Coverage(
        provider=existing.provider, insurer=InsurerFactory(), starts_on=datetime.date(2023, 1, 1)
    )

    with pytest.raises(ValidationError, match="already has coverage"):
        overlapping.full_clean()


def test_coverage_cannot_end_before_it_starts():
    coverage = CoverageFactory.build(
        provider=ProviderFactory(),
        insurer=InsurerFactory(),
        starts_on=datetime.date(2024, 1, 1),
        ends_on=datetime.date(2023, 1, 1),
    )

    with pytest.raises(ValidationError, match="cannot end before it starts"):
        coverage.full_clean()


# --- The audit log in the database ----------------------------------------------------------


@pytest.fixture
def role():
    """A role of this test's own, with no superuser rights; made in the test's transaction, so
    it is gone when that is rolled back."""
    name = f"portal_test_{uuid.uuid4().hex[:16]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{name}" NOLOGIN NOSUPERUSER')
    return name


HOLDS_THE_TABLE = {
    "granted TRUNCATE": 'GRANT TRUNCATE ON portal_auditevent TO "{role}"',
    "owner of the table": 'ALTER TABLE portal_auditevent OWNER TO "{role}"',
}


@pytest.mark.parametrize("grant", HOLDS_THE_TABLE.values(), ids=HOLDS_THE_TABLE.keys())
@pytest.mark.parametrize(
    "statement",
    ["TRUNCATE portal_auditevent", "TRUNCATE TABLE ONLY portal_auditevent CASCADE"],
)
def test_truncate_of_the_audit_log_is_refused_even_to_a_role_allowed_to(role, grant, statement):
    audit_event_record(action=AuditAction.LOGIN_FAILED)
    with connection.cursor() as cursor:
        # The row's deferred foreign-key check must run first, or no TRUNCATE could start.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(grant.format(role=role))

        with (
            pytest.raises(DatabaseError, match="TRUNCATE is refused"),
            transaction.atomic(),
        ):
            cursor.execute(f'SET LOCAL ROLE "{role}"')
            cursor.execute(statement)

    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).count() == 1


def test_a_superuser_may_still_truncate_it_as_the_test_runner_does_between_tests():
    audit_event_record(action=AuditAction.LOGIN_FAILED)
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (True,)  # the test database is reached as a superuser

        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE portal_auditevent")

    assert not AuditEvent.objects.exists()
