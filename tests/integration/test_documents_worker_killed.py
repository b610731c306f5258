"""A worker process killed in the middle of a scan: the message is delivered again (acks_late,
reject on worker lost) and the scan completes, with nothing of the killed attempt left behind."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from documents.models import ScanStatus
from documents.tasks import document_scan_run
from tests.documents import samples
from tests.documents.conftest import stored, submitted_claim
from tests.worker import database_url as _database_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REPO_ROOT = Path(__file__).resolve().parents[2]


class HoldingProxy:
    """A TCP proxy to clamd that holds the document's scan at its first bytes until released: a
    scan that is certainly under way when the worker is killed. The scanner check's own scans
    (EICAR and the probe) pass unheld."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.scan_started = threading.Event()
        self.released = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((settings.CLAMD_HOST, settings.CLAMD_PORT))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source, target, to_clamd: bool):
        try:
            while data := source.recv(65536):
                if to_clamd and b"%PDF-" in data:
                    self.scan_started.set()
                    self.released.wait()  # before the document's bytes reach clamd
                    target.sendall(data)
                    continue
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self):
        self.released.set()
        self.listener.close()


@pytest.fixture
def proxy():
    holding = HoldingProxy()
    yield holding
    holding.close()


@pytest.fixture
def prefork_worker(proxy, tmp_path):
    """A worker of its own (prefork, one child) on a queue of its own, talking to clamd through
    the proxy; no other worker takes its messages."""
    queue = f"scan-killed-{os.getpid()}"
    hostname = f"{queue}@localhost"
    env = {
        **os.environ,
        # A worker runs the settings production runs, not the test process's.
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": _database_url(connection.settings_dict),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        "CLAMD_PORT": str(proxy.port),
    }
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
         "--concurrency", "1", "-Q", queue, "--hostname", hostname, "--loglevel", "INFO"],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not celery_app.control.ping(destination=[hostname], timeout=1.0):
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The worker did not start:\n{(tmp_path / 'worker.log').read_text()}")
        yield worker, queue
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


def _pool_child(worker: subprocess.Popen) -> int:
    path = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    [child] = [int(pid) for pid in path.read_text().split()]
    return child


def test_a_worker_killed_mid_scan_completes_the_scan_on_redelivery(proxy, prefork_worker):
    worker, queue = prefork_worker
    document = stored(submitted_claim(), samples.pdf(), name="letter.pdf")

    document_scan_run.apply_async(args=[str(document.pk)], queue=queue)
    assert proxy.scan_started.wait(timeout=30), "the scan never reached clamd"
    killed = _pool_child(worker)
    os.kill(killed, signal.SIGKILL)  # mid-scan: the stream half sent to clamd
    document.refresh_from_db()
    assert document.scan_status == ScanStatus.PENDING
    proxy.released.set()

    deadline = time.monotonic() + 60
    while document.scan_status == ScanStatus.PENDING and time.monotonic() < deadline:
        time.sleep(0.2)
        document.refresh_from_db()

    assert document.scan_status == ScanStatus.CLEAN
    assert document.storage_key.startswith("clean/")
    # The killed attempt was claimed (and counted) before its scan began; the redelivery counts too.
    assert document.scan_attempts == 2
    assert _pool_child(worker) != killed
