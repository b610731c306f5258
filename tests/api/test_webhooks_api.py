"""The webhooks' management through the API: registration with the secret shown once and a ping,
the SSRF refusal as a problem, another insurer's endpoints as 404, the scope, rotation, the
delivery log and redelivery."""

import uuid

import pytest
from django.db import transaction

from api.scopes import CLAIMS_READ
from api.webhooks import webhook_events_record
from api.webhooks_models import DeliveryState, WebhookDelivery, WebhookEndpoint
from portal.models import AuditAction, AuditEvent
from tests.api.conftest import connect
from tests.api.webhooks_receiver import running_receiver
from tests.factories import InsurerFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/webhooks/endpoints/"


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
    with running_receiver() as receiver:
        yield receiver


def _post(connected, url, data=None):
    return connected.http.post(
        url, data or {}, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )


def created_etag(connected, created) -> str:
    response = connected.http.get(f"{BASE}{created['id']}/")
    assert response.status_code == 200
    return response["ETag"]


def _register(connected, receiver, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            connected,
            BASE,
            {"url": receiver.url, "event_types": ["claim.status_changed"], **extra},
        )
    assert response.status_code == 201, response.content
    return response.json()


def test_registration_answers_the_secret_once_and_pings(
    connected, receiver, django_capture_on_commit_callbacks
):
    created = _register(connected, receiver, django_capture_on_commit_callbacks)

    assert created["secret"].startswith("whsec_")
    (ping,) = receiver.wait_for(1)
    assert ping.payload(created["secret"])["type"] == "webhook.ping"
    shown = connected.http.get(f"{BASE}{created['id']}/").json()
    assert "secret" not in shown
    assert shown["ping_status_code"] == 200
    assert created["secret"] not in connected.http.get(BASE).content.decode()


def test_a_private_address_is_refused_as_a_problem(connected, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False
    response = _post(
        connected,
        BASE,
        {"url": "https://169.254.169.254/latest", "event_types": ["claim.status_changed"]},
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "public addresses" in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_an_unknown_event_type_is_refused(connected, receiver):
    response = _post(connected, BASE, {"url": receiver.url, "event_types": ["claim.deleted"]})
    assert response.status_code == 400
    assert "claim.deleted" in response.content.decode()


def test_another_insurers_endpoints_are_not_found_and_audited(
    connected, receiver, django_capture_on_commit_callbacks
):
    created = _register(connected, receiver, django_capture_on_commit_callbacks)
    stranger = connect(InsurerFactory())

    for response in (
        stranger.http.get(f"{BASE}{created['id']}/"),
        stranger.http.patch(f"{BASE}{created['id']}/", {"description": "x"}, format="json"),
        stranger.http.delete(f"{BASE}{created['id']}/"),
        _post(stranger, f"{BASE}{created['id']}/rotate-secret/"),
        stranger.http.get(f"{BASE}{created['id']}/deliveries/"),
    ):
        assert response.status_code == 404, response.content
    assert stranger.http.get(BASE).json() == []
    assert AuditEvent.objects.filter(
        action=AuditAction.ACCESS_REFUSED, object_type="api.webhookendpoint"
    ).count() == 5  # fmt: skip
    assert WebhookEndpoint.objects.get(pk=created["id"]).description == ""


def test_a_client_without_the_scope_is_forbidden(insurer):
    reader = connect(insurer, scopes=[CLAIMS_READ])
    assert reader.http.get(BASE).status_code == 403
    assert reader.http.get("/api/v1/webhooks/event-types/").status_code == 403


def test_the_event_types_are_listed(connected):
    types = [row["type"] for row in connected.http.get("/api/v1/webhooks/event-types/").json()]
    assert "claim.status_changed" in types and "payment.made" in types


def test_rotation_answers_a_new_secret_and_the_log_redelivers(
    connected, receiver, django_capture_on_commit_callbacks, claim
):
    created = _register(connected, receiver, django_capture_on_commit_callbacks)
    rotated = _post(connected, f"{BASE}{created['id']}/rotate-secret/")
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != created["secret"]
    assert connected.http.get(f"{BASE}{created['id']}/").json()["in_rotation"] is True

    with transaction.atomic():
        (row,) = webhook_events_record(
            claim=claim, event_type="claim.status_changed", event_key="api-test"
        )
    WebhookDelivery.objects.filter(pk=row.pk).update(state=DeliveryState.FAILED, attempts=10)
    log = connected.http.get(f"{BASE}{created['id']}/deliveries/").json()
    assert [entry["id"] for entry in log["results"]] == [str(row.pk)]
    assert log["results"][0]["webhook_id"] == f"msg_{row.pk.hex}"

    resent = _post(connected, f"/api/v1/webhooks/deliveries/{row.pk}/resend/")
    assert resent.status_code == 202
    assert resent.json()["state"] == DeliveryState.PENDING


def test_a_change_of_url_is_checked_and_an_endpoint_can_be_deleted(
    connected, receiver, django_capture_on_commit_callbacks, settings
):
    created = _register(connected, receiver, django_capture_on_commit_callbacks)
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False
    refused = connected.http.patch(
        f"{BASE}{created['id']}/",
        {"url": "https://10.0.0.1/hooks"},
        format="json",
        HTTP_IF_MATCH=created_etag(connected, created),
    )
    assert refused.status_code == 400
    assert WebhookEndpoint.objects.get(pk=created["id"]).url == receiver.url

    assert connected.http.delete(f"{BASE}{created['id']}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_a_change_needs_the_endpoints_current_etag(
    connected, receiver, django_capture_on_commit_callbacks
):
    created = _register(connected, receiver, django_capture_on_commit_callbacks)
    url = f"{BASE}{created['id']}/"
    read = created_etag(connected, created)

    missing = connected.http.patch(url, {"description": "Claims system"}, format="json")
    assert missing.status_code == 428
    assert "If-Match" in missing.json()["detail"]

    # Someone else changes it (a new event type) after our read: our change is refused.
    theirs = connected.http.patch(
        url, {"event_types": ["claim.status_changed", "payment.made"]}, format="json",
        HTTP_IF_MATCH=read,
    )  # fmt: skip
    assert theirs.status_code == 200, theirs.content
    assert theirs["ETag"] != read
    stale = connected.http.patch(url, {"description": "Claims system"}, format="json",
                                 HTTP_IF_MATCH=read)  # fmt: skip
    assert stale.status_code == 412
    assert stale["Content-Type"] == "application/problem+json"
    assert WebhookEndpoint.objects.get(pk=created["id"]).description == ""

    fresh = connected.http.patch(url, {"description": "Claims system"}, format="json",
                                 HTTP_IF_MATCH=theirs["ETag"])  # fmt: skip
    assert fresh.status_code == 200
    assert fresh.json()["description"] == "Claims system"
    assert fresh["ETag"] == connected.http.get(url)["ETag"]


def test_a_new_url_is_pinged_once_the_change_is_saved(
    connected, receiver, django_capture_on_commit_callbacks
):
    created = _register(connected, receiver, django_capture_on_commit_callbacks)
    receiver.wait_for(1)  # the registration's ping
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        changed = connected.http.patch(
            f"{BASE}{created['id']}/", {"url": f"{receiver.url}/v2"}, format="json",
            HTTP_IF_MATCH=created_etag(connected, created),
        )  # fmt: skip
    assert changed.status_code == 200, changed.content
    assert len(callbacks) == 1
    assert receiver.wait_for(2)[1].path.endswith("/v2")
    assert WebhookEndpoint.objects.get(pk=created["id"]).ping_status_code == 200
