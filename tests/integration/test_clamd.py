"""The real clamd, with the project's own signature file, through documents.scanner."""

import io
import socket

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
