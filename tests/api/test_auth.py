"""Keys and scopes: a revoked, rotated-out, expired or unknown key gets 401; a key without the
scope 403; each refusal audited; last use kept; the service user never signs in on the web."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.scopes import CLAIMS_READ
from api.services import (
    api_client_key_issue,
    api_client_key_revoke,
    api_client_revoke,
    api_client_save,
)
from portal.models import AuditAction, AuditEvent
from tests.api.conftest import connect

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.urls")]


def _with_key(key: str) -> APIClient:
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return http


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_a_valid_key_reads_and_is_kept_as_last_use(connected):
    response = connected.http.get("/api/v1/claims/")
    assert response.status_code == 200
    connected.client.refresh_from_db()
    assert connected.client.last_used_at is not None


def test_last_use_is_written_at_most_once_a_minute(connected, django_assert_num_queries):
    connected.http.get("/api/v1/claims/")
    connected.client.refresh_from_db()
    first = connected.client.last_used_at
    connected.http.get("/api/v1/claims/")
    connected.client.refresh_from_db()
    assert connected.client.last_used_at == first


def test_no_key_is_401_problem(db):
    _problem(APIClient().get("/api/v1/claims/"), 401)


def test_an_unknown_key_is_401_and_audited(db):
    _problem(_with_key("abcdefgh.not-a-real-secret").get("/api/v1/claims/"), 401)
    row = AuditEvent.objects.get(action=AuditAction.ACCESS_REFUSED)
    assert row.detail == {"reason": "unknown API key"} and row.object_id == "abcdefgh"


def test_a_wrong_secret_for_a_real_prefix_is_401(connected):
    prefix = connected.key.split(".")[0]
    _problem(_with_key(f"{prefix}.wrong").get("/api/v1/claims/"), 401)


def test_a_revoked_key_is_401_and_audited_with_the_client(connected):
    key_row = connected.client.keys.get()
    api_client_key_revoke(key_row=key_row, actor=None)
    _problem(connected.http.get("/api/v1/claims/"), 401)
    row = AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED).get()
    assert row.actor == connected.client.service_user
    assert row.detail == {"reason": "revoked API key"}


def test_rotation_both_keys_work_until_the_old_is_revoked(connected):
    old_row = connected.client.keys.get()
    _new_row, new_key = api_client_key_issue(client=connected.client, actor=None)
    assert connected.http.get("/api/v1/claims/").status_code == 200
    assert _with_key(new_key).get("/api/v1/claims/").status_code == 200
    api_client_key_revoke(key_row=old_row, actor=None)
    _problem(connected.http.get("/api/v1/claims/"), 401)
    assert _with_key(new_key).get("/api/v1/claims/").status_code == 200


def test_a_rotated_out_key_past_its_expiry_is_401(connected):
    old_row = connected.client.keys.get()
    api_client_key_issue(client=connected.client, actor=None)
    api_client_key_revoke(
        key_row=old_row, actor=None, expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    _problem(connected.http.get("/api/v1/claims/"), 401)
    assert AuditEvent.objects.get(action=AuditAction.ACCESS_REFUSED).detail == {
        "reason": "expired API key"
    }


def test_a_revoked_client_is_401_with_every_key(connected):
    _row, second = api_client_key_issue(client=connected.client, actor=None)
    api_client_revoke(client=connected.client, actor=None)
    _problem(connected.http.get("/api/v1/claims/"), 401)
    _problem(_with_key(second).get("/api/v1/claims/"), 401)
    connected.client.service_user.refresh_from_db()
    assert not connected.client.service_user.is_active


def test_the_key_is_stored_only_as_a_hash(connected):
    row = connected.client.keys.get()
    secret = connected.key.split(".", 1)[1]
    assert secret not in row.hashed_key and secret not in row.id


def test_a_key_without_the_scope_is_403_and_audited(insurer, claim):
    reader = connect(insurer, scopes=[CLAIMS_READ])
    body = _problem(reader.http.get(f"/api/v1/claims/{claim.pk}/documents/"), 403)
    assert "documents:read" in body["detail"]
    row = AuditEvent.objects.get(action=AuditAction.ACCESS_REFUSED)
    assert row.actor == reader.client.service_user
    assert row.detail == {"reason": "missing scope documents:read"}


def test_writes_need_claims_write(insurer, claim):
    reader = connect(insurer, scopes=[CLAIMS_READ])
    response = reader.http.post(
        f"/api/v1/claims/{claim.pk}/notes/", {"body": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    _problem(response, 403)
    assert not claim.notes.exists()


def test_removing_claims_write_removes_the_service_users_permission(connected, claim):
    user = connected.client.service_user
    assert user.has_perm("portal.change_claims_for_insurer")
    connected.client.scopes = [CLAIMS_READ]
    api_client_save(client=connected.client, actor=None)
    user.refresh_from_db()
    assert not user.has_perm("portal.change_claims_for_insurer")


@pytest.mark.urls("config.urls")
def test_the_service_user_cannot_sign_in_on_the_web(connected, client):
    user = connected.client.service_user
    assert not user.has_usable_password()
    client.post("/accounts/login/", {"login": user.email, "password": "anything"})
    assert "_auth_user_id" not in client.session


@pytest.mark.urls("config.urls")
def test_the_sign_in_adapter_refuses_an_api_client_whatever_it_presents(connected, rf):
    from django.contrib.messages.storage.fallback import FallbackStorage

    from portal.adapters import AccountAdapter

    request = rf.post("/accounts/login/")
    request.session = {}
    request._messages = FallbackStorage(request)
    response = AccountAdapter(request).pre_login(request, connected.client.service_user)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(
        action=AuditAction.LOGIN_FAILED, detail__reason="API client"
    ).exists()
