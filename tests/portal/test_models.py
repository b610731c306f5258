import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from portal.models import Coverage, Role, User
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
