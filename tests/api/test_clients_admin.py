"""API clients in the admin: registered with scopes, a key issued and shown once, revoked."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from api.models import ApiClient
from portal.models import AuditAction, AuditEvent, Role
from tests.factories import AdministratorFactory, InsurerFactory
from tests.portal.test_selectors import _signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.urls("config.urls")]


@pytest.fixture
def admin_client():
    return _signed_in(AdministratorFactory())


def _registered(admin_client, insurer) -> ApiClient:
    response = admin_client.post(
        reverse("admin:api_apiclient_add"),
        {
            "name": "ClaimCenter",
            "insurer": insurer.pk,
            "scopes": ["claims:read"],
            "keys-TOTAL_FORMS": 0,
            "keys-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return ApiClient.objects.get(name="ClaimCenter")


def test_an_administrator_registers_a_client_issues_a_key_and_revokes_it(admin_client):
    insurer = InsurerFactory()
    client = _registered(admin_client, insurer)
    assert client.service_user.role == Role.API_CLIENT
    assert client.service_user.insurer == insurer
    assert client.scopes == ["claims:read"]

    page = admin_client.post(
        reverse("admin:api_apiclient_changelist"),
        {"action": "issue_key", "_selected_action": [client.pk]},
    )
    assert page.status_code == 200
    key = page.context["key"]
    assert key in page.content.decode()
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert http.get("/api/v1/claims/").status_code == 200
    # Shown once: the change page has only its prefix.
    change = admin_client.get(reverse("admin:api_apiclient_change", args=[client.pk]))
    assert key not in change.content.decode()
    assert key.split(".")[0] in change.content.decode()

    admin_client.post(
        reverse("admin:api_apiclient_changelist"),
        {"action": "revoke_client", "_selected_action": [client.pk]},
    )
    assert http.get("/api/v1/claims/").status_code == 401
    audited = AuditEvent.objects.filter(object_type="api.apiclient", object_id=str(client.pk))
    assert set(audited.values_list("action", flat=True)) >= {AuditAction.CREATE, AuditAction.CHANGE}
