"""/health/ against the real services, and with each one unreachable in turn."""

import socket
import threading

import pytest
from django.db import connection
from django.urls import reverse

from config import health

pytestmark = pytest.mark.integration

HEALTH_URL = reverse("health")


@pytest.fixture(autouse=True)
def _fresh_results(settings):
    """Each test sees checks run against its own settings, not results kept from another."""
    settings.HEALTH_CHECK_CACHE_SECONDS = 0
    health.forget_results()
    yield
    health.forget_results()


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


@pytest.mark.django_db
def test_health_answers_from_its_kept_results_for_a_few_seconds(client, settings, closed_port):
    settings.HEALTH_CHECK_CACHE_SECONDS = 60
    assert client.get(HEALTH_URL).status_code == 200
    settings.CLAMD_PORT = closed_port

    kept = client.get(HEALTH_URL)
    settings.HEALTH_CHECK_CACHE_SECONDS = 0
    checked_again = client.get(HEALTH_URL)

    assert kept.status_code == 200
    assert checked_again.status_code == 503
    assert not _checks(checked_again)["virus_scanner"]["ok"]


def _clamd_answering(*replies: bytes) -> int:
    """A stand-in clamd on loopback that answers each INSTREAM scan with the next reply, in turn
    (then the last one again): a scanner that answers but does not do its job."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve():
        for number in range(100):
            try:
                connection, _address = server.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                received = b""
                while not received.endswith(b"\0\0\0\0"):
                    received += connection.recv(65536)
                connection.sendall(replies[min(number, len(replies) - 1)])

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("replies", "reason"),
    [
        pytest.param([b"stream: OK\n"], "did not find the EICAR test file", id="finds-nothing"),
        pytest.param(
            [b"stream: Portal.Test.EICAR FOUND\n", b"stream: OK\n"],
            "does not report files past its scan limits",
            id="no-AlertExceedsMax",
        ),
    ],
)
def test_health_fails_when_clamd_answers_but_fails_its_check(client, settings, replies, reason):
    settings.CLAMD_PORT = _clamd_answering(*replies)

    response = client.get(HEALTH_URL)

    assert response.status_code == 503
    assert [name for name, result in _checks(response).items() if not result["ok"]] == [
        "virus_scanner"
    ]
    assert reason in _checks(response)["virus_scanner"]["detail"]
