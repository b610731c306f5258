"""Fixtures shared by every test. The real services must be running: see `make test`."""

import socket
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from portal import queueing
from tests.factories import UserFactory
from tests.worker import database_url, running_worker, wait_until_idle


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def pytest_sessionstart(session):
    """Fail at once, saying how to start it, when a service the suite needs is not running."""
    broker = urlsplit(settings.CELERY_BROKER_URL)
    s3 = urlsplit(settings.S3_ENDPOINT_URL)
    needed = {
        "clamd": (settings.CLAMD_HOST, settings.CLAMD_PORT),
        "SeaweedFS (S3)": (s3.hostname, s3.port or 80),
        "the broker (Redis)": (broker.hostname, broker.port or 6379),
    }
    missing = [name for name, (host, port) in needed.items() if not _answers(host, port)]
    if missing:
        pytest.exit(
            f"Not running: {', '.join(missing)}. Start the local services with "
            "'scripts/services.sh start' (make test does this for you).",
            returncode=3,
        )


@pytest.fixture(autouse=True)
def _publishing_not_paused():
    # A test that made publishing fail (a broker on a closed port) pauses that task's publishing
    # in this process (portal.queueing); the next test starts with a broker that answers.
    queueing._paused_until.clear()
    yield
    queueing._paused_until.clear()


@pytest.fixture(autouse=True)
def _isolated_cache():
    # Rate-limit counters and used TOTP codes must not leak from one test into the next (the
    # hasher, cache and static files storage of the tests are in config/settings/test.py).
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _notifications_in_process(request, settings):
    # Outside the integration tests (which run a real worker) notification emails are delivered
    # by the process that commits the change, so tests read them in mail.outbox.
    if request.node.get_closest_marker("integration") is None:
        settings.NOTIFICATIONS_DELIVER_IN_PROCESS = True


@pytest.fixture
def patient(db):
    return UserFactory()


# One real worker at a time: a module's, stopped when its tests end. Two workers on one broker
# would share the queues, each taking some of the tasks (and writing some of the emails) a test
# waits for; and a worker left running would take the tasks that tests without one publish and
# expect to wait.
@pytest.fixture(scope="module")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """One worker on every queue for the module. The emails it sends are written to files in
    `worker.mail_dir` (one for the session), for tests to read."""
    with django_db_blocker.unblock():
        database = database_url(connection.settings_dict)
    mail_dir = tmp_path_factory.getbasetemp() / "worker-mail"
    mail_dir.mkdir(exist_ok=True)
    with running_worker(
        database=database,
        log_dir=tmp_path_factory.mktemp("worker"),
        name="test-worker",
        queues="default,scan,notify,webhooks",
        # Webhooks reach the tests' receiver on loopback (tests/api/test_webhooks.py).
        env={
            "EMAIL_URL": f"filemail://{mail_dir}",
            "EMAIL_BACKEND": "",
            "WEBHOOKS_ALLOW_PRIVATE_HOSTS": "true",
        },
    ) as worker:
        worker.mail_dir = mail_dir
        yield worker


@pytest.fixture(autouse=True)
def _worker_idle_before_the_database_is_emptied(request):
    # A test's changes leave work behind (a letter to draw, a document to scan, emails): let the
    # worker finish it before pytest-django empties the tables, whose TRUNCATE would otherwise
    # meet the worker's open transaction. This fixture's teardown runs before that flush.
    yield
    for name in ("celery_worker", "module_worker"):
        if name in request.fixturenames:
            wait_until_idle(request.getfixturevalue(name))
