"""The insurer's one door: who may see it, tested from outside as another user would try."""

import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import AuditAction, AuditEvent
from tests.factories import (
    AdjusterFactory,
    AdvocateFactory,
    CoverageFactory,
    InsurerFactory,
    TriageLeadFactory,
    UserFactory,
)
from tests.portal.test_accounts import sign_in
from tests.queries import queries_during

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client()
    # Enrolled before the password (or already), so the sign-in passes the second factor.
    sign_in(client, user)
    assert "_auth_user_id" in client.session
    client.get(reverse("dashboard"), follow=True)  # shows, and so clears, the "signed in" message
    return client


def test_staff_see_their_own_insurer_and_the_view_is_audited():
    coverage = CoverageFactory()
    lead = TriageLeadFactory(insurer=coverage.insurer)

    response = _signed_in(lead).get(reverse("insurer_detail", args=[coverage.insurer_id]))

    assert response.status_code == 200
    assert coverage.provider.name in response.content.decode()
    view = AuditEvent.objects.get(action=AuditAction.VIEW, object_type="portal.insurer")
    assert view.actor == lead
    assert view.object_id == str(coverage.insurer_id)


def test_staff_of_another_insurer_get_404_and_an_audit_row():
    other = InsurerFactory()
    adjuster = AdjusterFactory()

    response = _signed_in(adjuster).get(reverse("insurer_detail", args=[other.pk]))

    assert response.status_code == 404
    refused = AuditEvent.objects.get(action=AuditAction.ACCESS_REFUSED)
    assert refused.actor == adjuster
    assert refused.object_id == str(other.pk)
    assert refused.ip_address == "127.0.0.1"


@pytest.mark.parametrize("factory", [UserFactory, AdvocateFactory])
def test_patients_and_advocates_cannot_see_any_insurer(factory):
    insurer = InsurerFactory()

    response = _signed_in(factory()).get(reverse("insurer_detail", args=[insurer.pk]))

    assert response.status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED).count() == 1


def test_a_guessed_insurer_id_looks_the_same_as_a_forbidden_one():
    adjuster = AdjusterFactory()
    client = _signed_in(adjuster)

    forbidden = client.get(reverse("insurer_detail", args=[InsurerFactory().pk]))
    missing = client.get(reverse("insurer_detail", args=[uuid.uuid4()]))

    assert forbidden.status_code == missing.status_code == 404
    assert _without_csrf_token(forbidden) == _without_csrf_token(missing)


def _without_csrf_token(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_signed_out_visitors_are_sent_to_sign_in():
    insurer = InsurerFactory()

    response = Client().get(reverse("insurer_detail", args=[insurer.pk]))

    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("account_login"))


def test_insurer_page_queries_do_not_grow_with_coverage_or_staff():
    insurer = InsurerFactory()
    lead = TriageLeadFactory(insurer=insurer)
    client = _signed_in(lead)
    url = reverse("insurer_detail", args=[insurer.pk])

    CoverageFactory(insurer=insurer)
    few = queries_during(lambda: client.get(url))
    for _ in range(10):
        CoverageFactory(insurer=insurer)
        AdjusterFactory(insurer=insurer)
    many = queries_during(lambda: client.get(url))

    assert few > 0
    assert many == few
