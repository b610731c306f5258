"""Real Celery workers for tests: a process consuming from the real broker and writing to the
test database, started and stopped by fixtures."""

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app as celery_app

REPO_ROOT = Path(__file__).resolve().parents[1]
WORKER_START_SECONDS = 60


def database_url(settings_dict: dict) -> str:
    """The DATABASE_URL of a connection's settings (the test database, once it exists)."""
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{settings_dict['NAME']}"


@contextmanager
def running_worker(*, database: str, log_dir: Path, name: str, queues: str, env: dict):
    """Start a worker on `queues` against `database`; stop it when the block ends."""
    log_path = log_dir / f"{name}.log"
    hostname = f"{name}-{os.getpid()}@localhost"
    environment = {
        **os.environ,
        # A worker runs the settings production runs, not the test process's.
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": database,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        **env,
    }
    # Messages left on the test broker by earlier runs or modules would otherwise run against
    # this database and disturb what the tests count.
    celery_app.control.purge()
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
             "-Q", queues, "--hostname", hostname, "--loglevel", "INFO"],
            cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    worker.hostname = hostname
    try:
        _wait_until_ready(worker, hostname, log_path)
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


#: How long a worker may take to finish what the test left it; then the test goes on regardless.
IDLE_WAIT_SECONDS = 60
#: Consecutive polls that found the worker doing nothing: a task that queues another (a letter's
#: scan after its drawing) shows a gap of a moment between them.
IDLE_POLLS = 3


def wait_until_idle(worker: subprocess.Popen, *, timeout: float = IDLE_WAIT_SECONDS) -> None:
    """Return once the worker has run, holds and has scheduled no task for IDLE_POLLS polls in a
    row. A worker on the solo pool does not answer while it runs a task, so no answer is busy."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < IDLE_POLLS and time.monotonic() < deadline and worker.poll() is None:
        inspect = celery_app.control.inspect(destination=[worker.hostname], timeout=0.5)
        answers = [inspect.active(), inspect.reserved(), inspect.scheduled()]
        busy = any(not answer or answer.get(worker.hostname) for answer in answers)
        quiet = 0 if busy else quiet + 1
        time.sleep(0.2)


def _wait_until_ready(worker: subprocess.Popen, hostname: str, log_path: Path) -> None:
    deadline = time.monotonic() + WORKER_START_SECONDS
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"The Celery worker exited at start:\n{log_path.read_text()[-3000:]}")
        if celery_app.control.ping(destination=[hostname], timeout=1.0):
            return
    pytest.fail(
        "The Celery worker did not answer within a minute; is the broker at "
        f"{settings.CELERY_BROKER_URL.split('@')[-1]} running?\n{log_path.read_text()[-3000:]}"
    )
