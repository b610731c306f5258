"""Webhooks in the admin: registration checks the address, pings, and shows the secret once; the
delivery log is read-only with a resend action."""

import pytest
from django.db import transaction
from django.urls import reverse

from api.webhooks import webhook_events_record
from api.webhooks_models import DeliveryState, WebhookDelivery, WebhookEndpoint
from tests.api.webhooks_receiver import running_receiver
from tests.factories import AdministratorFactory
from tests.notifications.conftest import make_world
from tests.portal.test_selectors import _signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    return _signed_in(AdministratorFactory())


def _add(admin_client, world, url):
    return admin_client.post(
        reverse("admin:api_webhookendpoint_add"),
        {
            "insurer": world.claim.insurer.pk,
            "url": url,
            "description": "Claims system",
            "event_types": ["claim.status_changed", "offer.made"],
        },
    )


def test_an_administrator_registers_an_endpoint_and_sees_its_secret_once(admin_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
    world = make_world()
    with running_receiver() as receiver:
        response = _add(admin_client, world, receiver.url)

        assert response.status_code == 200
        endpoint = WebhookEndpoint.objects.get()
        assert endpoint.secret in response.content.decode()
        (ping,) = receiver.requests
        assert ping.verifies_with(endpoint.secret)
    endpoint.refresh_from_db()
    assert endpoint.ping_status_code == 200
    assert endpoint.event_types == ["claim.status_changed", "offer.made"]
    page = admin_client.get(reverse("admin:api_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint.secret not in page.content.decode()


def test_a_private_address_is_refused_in_the_admin_with_a_reason(admin_client):
    world = make_world()
    response = _add(admin_client, world, "https://10.0.0.1/hooks")

    assert response.status_code == 200
    assert "public addresses" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_delivery_log_resends_a_failed_delivery(admin_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
    world = make_world()
    with running_receiver() as receiver:
        _add(admin_client, world, receiver.url)
    with transaction.atomic():
        (row,) = webhook_events_record(
            claim=world.claim, event_type="claim.status_changed", event_key="admin-test"
        )
    WebhookDelivery.objects.filter(pk=row.pk).update(state=DeliveryState.FAILED, attempts=10)

    listed = admin_client.get(reverse("admin:api_webhookdelivery_changelist"))
    assert listed.status_code == 200
    assert world.claim.reference in listed.content.decode()
    admin_client.post(
        reverse("admin:api_webhookdelivery_changelist"),
        {"action": "resend", "_selected_action": [str(row.pk)]},
    )
    row.refresh_from_db()
    assert row.state == DeliveryState.PENDING
    assert row.attempts == 0
