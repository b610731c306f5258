"""A real Celery worker, consuming from the real broker and writing to the test database."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from portal.celery import app as celery_app

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER_START_SECONDS = 60


def _database_url(settings_dict: dict) -> str:
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{settings_dict['NAME']}"


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """Start one worker process on every queue against the test database; stop it afterwards."""
    with django_db_blocker.unblock():
        test_database = _database_url(connection.settings_dict)
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    # The worker writes the emails it sends here, for tests to read. One folder for the session:
    # modules that import this fixture get a worker of their own, and they all share the queues.
    mail_dir = tmp_path_factory.getbasetemp() / "worker-mail"
    mail_dir.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "EMAIL_URL": f"filemail://{mail_dir}",
        "EMAIL_BACKEND": "",
        "DATABASE_URL": test_database,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
    }
    hostname = f"test-worker-{os.getpid()}@localhost"
    # Messages left on the test broker by earlier runs would otherwise run against this
    # database and disturb what the tests count.
    celery_app.control.purge()
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool",
                "solo",
                "-Q",
                "default,scan,notify",
                "--hostname",
                hostname,
                "--loglevel",
                "INFO",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_ready(worker, hostname, log_path)
        worker.mail_dir = mail_dir
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def _wait_until_ready(worker: subprocess.Popen, hostname: str, log_path: Path) -> None:
    deadline = time.monotonic() + WORKER_START_SECONDS
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"The Celery worker exited at start:\n{log_path.read_text()[-3000:]}")
        replies = celery_app.control.ping(destination=[hostname], timeout=1.0)
        if replies:
            return
    pytest.fail(
        "The Celery worker did not answer within a minute; is the broker at "
        f"{settings.CELERY_BROKER_URL.split('@')[-1]} running?\n{log_path.read_text()[-3000:]}"
    )
