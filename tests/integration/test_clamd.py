"""The real clamd, with the project's own signature file, through documents.scanner."""

import io
import socket
import struct
import threading

import clamd
import pytest

from documents.scanner import ScannerUnavailable, Verdict, scan_stream, scanner_version

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
    # services/clamd/clamd.conf.in sets StreamMaxLength 60M.
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
