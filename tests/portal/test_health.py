"""/health/ against the real services, and with each one unreachable in turn."""

import socket

import pytest
from django.db import connection
from django.urls import reverse

pytestmark = pytest.mark.integration

HEALTH_URL = reverse("health")


@pytest.fixture
def closed_port() -> int:
    """A loopback port that nothing listens on: a stopped service, as a client sees it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _checks(response) -> dict:
    return response.json()["checks"]


@pytest.mark.django_db
def test_health_is_ok_when_every_dependency_answers(client):
    response = client.get(HEALTH_URL)

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert set(_checks(response)) == {"database", "broker", "object_store", "virus_scanner"}
    assert all(check["ok"] for check in _checks(response).values())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("check", "setting", "value"),
    [
        ("broker", "CELERY_BROKER_URL", "redis://:s3cret-pw@127.0.0.1:{port}/0"),
        ("object_store", "S3_ENDPOINT_URL", "http://127.0.0.1:{port}"),
        ("virus_scanner", "CLAMD_PORT", "{port}"),
    ],
)
def test_health_names_the_dependency_that_is_down(
    client, settings, closed_port, check, setting, value
):
    configured = value.format(port=closed_port)
    setattr(settings, setting, int(configured) if configured.isdigit() else configured)
    settings.HEALTH_CHECK_TIMEOUT_SECONDS = 1

    response = client.get(HEALTH_URL)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert [name for name, result in _checks(response).items() if not result["ok"]] == [check]
    # The page is public: it names the kind of failure, never hosts, ports or credentials.
    assert "s3cret-pw" not in response.content.decode()
    assert str(closed_port) not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_health_reports_the_database_when_it_is_unreachable(client, closed_port):
    original_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = closed_port
    try:
        response = client.get(HEALTH_URL)
    finally:
        connection.close()
        connection.settings_dict["PORT"] = original_port

    assert response.status_code == 503
    assert not _checks(response)["database"]["ok"]
    assert _checks(response)["broker"]["ok"]
    assert "127.0.0.1" not in response.content.decode()
    assert str(closed_port) not in response.content.decode()
