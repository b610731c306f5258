"""The real clamd, with the project's own signature file, through documents.scanner."""

import io
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import clamd
import pytest
from django.db import connection

from config.celery import app as celery_app
from documents import objects
from documents.models import Document, ScanStatus
from documents.scanner import (
    ScannerCheck,
    ScannerUnavailable,
    Verdict,
    over_limit_probe,
    scan_stream,
    scanner_check,
    scanner_version,
)
from documents.tasks import document_scan_run
from tests.documents import samples
from tests.documents.conftest import stored, submitted_claim
from tests.worker import database_url, running_worker

pytestmark = pytest.mark.integration


def test_clamd_finds_the_eicar_test_file():
    result = scan_stream(io.BytesIO(clamd.EICAR))

    assert result.verdict == Verdict.INFECTED
    assert "EICAR" in result.signature


def test_clamd_finds_eicar_split_across_stream_chunks():
    padding = b"A" * (64 * 1024 - 10)  # the signature straddles the first chunk boundary

    result = scan_stream(io.BytesIO(padding + clamd.EICAR))

    assert result.verdict == Verdict.INFECTED


def test_clamd_passes_plain_text():
    result = scan_stream(io.BytesIO(b"Discharge summary: the patient went home on Tuesday.\n"))

    assert result.verdict == Verdict.CLEAN
    assert result.signature == ""


def test_clamd_reports_its_version():
    assert scanner_version().startswith("ClamAV ")


def test_a_stopped_clamd_raises_the_projects_own_clear_error(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.CLAMD_PORT = probe.getsockname()[1]

    with pytest.raises(ScannerUnavailable, match="virus scanner .* is not answering") as error:
        scan_stream(io.BytesIO(b"hello"))

    assert "make services" in str(error.value)


class _Zeros:
    """A readable stream of `size` zero bytes that never exists whole in memory."""

    def __init__(self, size: int):
        self.left = size

    def read(self, n: int) -> bytes:
        n = min(n, self.left)
        self.left -= n
        return b"\0" * n


def test_a_stream_over_clamds_limit_is_unscannable_never_clean():
    # deploy/clamd/clamd.conf.in sets StreamMaxLength 60M.
    result = scan_stream(_Zeros(61 * 1024 * 1024))

    assert result.verdict == Verdict.UNSCANNABLE
    assert result.signature == "INSTREAM size limit exceeded"


def _fake_clamd(behaviour) -> int:
    """A one-connection TCP peer on loopback standing in for a clamd that misbehaves; the real
    clamd cannot be made to crash at a chosen byte."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve():
        connection, _ = server.accept()
        with connection:
            behaviour(connection)
        server.close()

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1]


def _hang_up_mid_stream(connection):
    connection.recv(64 * 1024)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _reply_with(text: bytes):
    def behaviour(connection):
        connection.settimeout(5)
        received = b""
        while not received.endswith(b"\0\0\0\0"):
            received += connection.recv(64 * 1024)
        connection.sendall(text)

    return behaviour


def test_clamd_going_away_mid_scan_is_unavailable_not_a_verdict(settings):
    settings.CLAMD_PORT = _fake_clamd(_hang_up_mid_stream)

    with pytest.raises(ScannerUnavailable):
        scan_stream(_Zeros(8 * 1024 * 1024))


def test_an_exceeded_scan_limit_signature_is_unscannable(settings):
    settings.CLAMD_PORT = _fake_clamd(_reply_with(b"stream: Heuristics.Limits.Exceeded FOUND\n"))

    result = scan_stream(io.BytesIO(b"a zip bomb, say"))

    assert result.verdict == Verdict.UNSCANNABLE


def test_a_reply_the_scanner_does_not_understand_is_unavailable(settings):
    settings.CLAMD_PORT = _fake_clamd(_reply_with(b"stream: something odd\n"))

    with pytest.raises(ScannerUnavailable, match="unexpected reply"):
        scan_stream(io.BytesIO(b"hello"))


# --- The check clamd must pass before it scans ----------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parents[2]
CLAMD_TEMPLATE = REPO_ROOT / "deploy" / "clamd" / "clamd.conf.in"


@contextmanager
def _own_clamd(*, alert_exceeds_max: bool):
    """A clamd of the test's own, from the project's clamd.conf.in with its own directory and
    Unix socket, and its DatabaseDirectory pointing at the project's signature file; stopped
    (this process only) when the block ends. Yields the socket's path."""
    binary = shutil.which("clamd") or "/usr/sbin/clamd"
    home = Path(tempfile.mkdtemp(prefix="clamd-", dir="/tmp"))  # a socket path under 108 bytes
    (home / "run").mkdir()
    (home / "clamav").mkdir()
    database = home / "db"
    database.mkdir()
    shutil.copy(REPO_ROOT / "deploy" / "clamd" / "portal-test.ndb", database)
    socket_path = home / "clamd.sock"
    lines = []
    for line in CLAMD_TEMPLATE.read_text().replace("@VAR_DIR@", str(home)).splitlines():
        if line.startswith(("TCPAddr", "TCPSocket")):
            continue
        if line.startswith("DatabaseDirectory"):
            line = f"DatabaseDirectory {database}"
        if line.startswith("AlertExceedsMax"):
            line = f"AlertExceedsMax {'yes' if alert_exceeds_max else 'no'}"
        lines.append(line)
    lines.append(f"LocalSocket {socket_path}")
    config = home / "clamd.conf"
    config.write_text("\n".join(lines) + "\n")
    process = subprocess.Popen(
        [binary, "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_ping(process, socket_path)
        yield str(socket_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(home, ignore_errors=True)


def _wait_for_ping(process: subprocess.Popen, socket_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"clamd exited at start: {process.stderr.read().decode()[-2000:]}")
        try:
            if clamd.ClamdUnixSocket(path=str(socket_path), timeout=2).ping() == "PONG":
                return
        except clamd.ClamdError:
            pass
        time.sleep(0.2)
    pytest.fail("the test's clamd did not answer within a minute")


def test_clamd_as_the_project_configures_it_passes_the_check(settings):
    with _own_clamd(alert_exceeds_max=True) as socket_path:
        settings.CLAMD_SOCKET = socket_path

        assert scanner_check() == ScannerCheck(True)


def test_the_over_limit_probe_is_reported_as_limits_exceeded():
    result = scan_stream(io.BytesIO(over_limit_probe()))

    assert result.verdict == Verdict.UNSCANNABLE
    assert result.signature.startswith("Heuristics.Limits.Exceeded")


@pytest.fixture(scope="module")
def clamd_without_alerts():
    with _own_clamd(alert_exceeds_max=False) as socket_path:
        yield socket_path


def test_a_clamd_without_alert_exceeds_max_fails_the_check(settings, clamd_without_alerts):
    settings.CLAMD_SOCKET = clamd_without_alerts

    result = scanner_check()

    assert not result.ok
    assert "AlertExceedsMax" in result.detail
    # It does scan: EICAR is found. It is what lies past its limits that it lets through.
    assert scan_stream(io.BytesIO(clamd.EICAR)).verdict == Verdict.INFECTED
    assert scan_stream(io.BytesIO(over_limit_probe())).verdict == Verdict.CLEAN


@pytest.mark.django_db(transaction=True)
def test_a_worker_on_a_clamd_without_alert_exceeds_max_fails_its_startup_check_and_waits(
    clamd_without_alerts, tmp_path
):
    queue = f"scan-unchecked-{os.getpid()}"
    with running_worker(
        database=database_url(connection.settings_dict),
        log_dir=tmp_path,
        name=queue,
        queues=queue,
        env={"CLAMD_SOCKET": clamd_without_alerts},
    ):
        log = tmp_path / f"{queue}.log"
        _wait_until(lambda: "failed its check" in log.read_text(), what="the startup check")
        assert "AlertExceedsMax" in log.read_text()

        document = stored(submitted_claim(), samples.pdf(), name="letter.pdf")
        document_scan_run.apply_async(args=[str(document.pk)], queue=queue)
        _wait_until(
            lambda: Document.objects.get(pk=document.pk).scan_attempts >= 1, what="a scan attempt"
        )

    document.refresh_from_db()
    assert document.scan_status == ScanStatus.PENDING  # waiting for a clamd that passes
    assert "failed its check" in document.last_error
    celery_app.control.purge()  # the retry it scheduled is for no later worker
    objects.delete_quietly(document.storage_key)


def _wait_until(condition, *, what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.2)
