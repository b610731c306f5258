"""Talking to clamd: the one place that knows its protocol, replies and failure modes."""

import enum
import io
import logging
import os
import socket
import struct
import threading
import time
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

import clamd
from django.conf import settings

# Bytes sent per INSTREAM chunk; clamd's StreamMaxLength bounds the total, not the chunk.
STREAM_CHUNK_BYTES = 64 * 1024
SIZE_LIMIT_REPLY = "INSTREAM size limit exceeded"
LIMITS_EXCEEDED_SIGNATURE = "Heuristics.Limits.Exceeded"
#: Levels of the check's over-limit probe: past any sensible MaxRecursion (clamd's default is 17).
PROBE_DEPTH = 64

logger = logging.getLogger(__name__)


class ScannerUnavailable(Exception):
    """clamd could not be reached or broke off; the file's state is unknown, never clean."""


class Verdict(enum.StrEnum):
    CLEAN = "clean"
    INFECTED = "infected"
    # clamd could not look at all of it (size or recursion limits): never treated as clean.
    UNSCANNABLE = "unscannable"


@dataclass(frozen=True)
class ScanResult:
    verdict: Verdict
    signature: str = ""


class _Connection(clamd.ClamdNetworkSocket):
    """clamd's client, with a timeout on connect too and complete writes of each chunk."""

    def _init_socket(self):
        try:
            self.clamd_socket = socket.create_connection(
                (self.host, self.port), timeout=self.timeout
            )
        except OSError as exc:
            raise clamd.ConnectionError(self._error_message(exc)) from exc


class _UnixConnection(clamd.ClamdUnixSocket):
    def _init_socket(self):
        try:
            self.clamd_socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.clamd_socket.settimeout(self.timeout)
            self.clamd_socket.connect(self.unix_socket)
        except OSError as exc:
            raise clamd.ConnectionError(self._error_message(exc)) from exc


def clamd_address() -> str:
    return settings.CLAMD_SOCKET or f"{settings.CLAMD_HOST}:{settings.CLAMD_PORT}"


def _connection(timeout: float | None = None) -> clamd.ClamdNetworkSocket:
    timeout = timeout or settings.CLAMD_TIMEOUT_SECONDS
    if settings.CLAMD_SOCKET:
        return _UnixConnection(path=settings.CLAMD_SOCKET, timeout=timeout)
    return _Connection(host=settings.CLAMD_HOST, port=settings.CLAMD_PORT, timeout=timeout)


def _unavailable(exc: Exception) -> ScannerUnavailable:
    return ScannerUnavailable(
        f"The virus scanner (clamd at {clamd_address()}) is not answering: {exc}. "
        "Documents stay pending until it is back; on a developer machine start it with "
        "'make services'."
    )


def scanner_version(*, timeout: float | None = None) -> str:
    """Return clamd's version line (engine and signature version); raises ScannerUnavailable."""
    try:
        return _connection(timeout).version()
    except (clamd.ClamdError, OSError) as exc:
        raise _unavailable(exc) from exc


def scan_stream(stream: BinaryIO, *, timeout: float | None = None) -> ScanResult:
    """Send `stream` to clamd with INSTREAM chunk by chunk (never whole in memory) and judge it.

    Raises ScannerUnavailable when clamd cannot be reached, goes away mid-scan, or answers
    something not understood. Errors reading `stream` itself propagate unchanged.
    """
    conn = _connection(timeout)
    try:
        conn._init_socket()
        conn._send_command("INSTREAM")
    except clamd.ClamdError as exc:
        raise _unavailable(exc) from exc
    try:
        while chunk := stream.read(STREAM_CHUNK_BYTES):
            _send(conn, struct.pack("!L", len(chunk)) + chunk)
        _send(conn, struct.pack("!L", 0))
        reply = _reply(conn)
    except _StreamTooLong:
        return ScanResult(Verdict.UNSCANNABLE, SIZE_LIMIT_REPLY)
    finally:
        conn._close_socket()
    return _judge(reply)


class _StreamTooLong(Exception):
    """clamd stopped reading because the stream passed its StreamMaxLength."""


def _send(conn: clamd.ClamdNetworkSocket, data: bytes) -> None:
    try:
        conn.clamd_socket.sendall(data)
    except OSError as exc:
        # Over its size limit clamd says so and hangs up while we are still sending; any other
        # hang-up means clamd went away mid-scan, which must never pass for a verdict.
        if _reply(conn, default="").startswith(SIZE_LIMIT_REPLY):
            raise _StreamTooLong from exc
        raise _unavailable(exc) from exc


def _reply(conn: clamd.ClamdNetworkSocket, default: str | None = None) -> str:
    try:
        return conn._recv_response()
    except clamd.ClamdError as exc:
        if default is not None:
            return default
        raise _unavailable(exc) from exc


def _judge(reply: str) -> ScanResult:
    if reply.startswith(SIZE_LIMIT_REPLY):
        return ScanResult(Verdict.UNSCANNABLE, SIZE_LIMIT_REPLY)
    if reply.endswith(" OK"):
        return ScanResult(Verdict.CLEAN)
    if reply.endswith(" FOUND"):
        signature = reply.removeprefix("stream: ").removesuffix(" FOUND")
        if signature.startswith(LIMITS_EXCEEDED_SIGNATURE):
            return ScanResult(Verdict.UNSCANNABLE, signature)
        return ScanResult(Verdict.INFECTED, signature)
    raise _unavailable(ValueError(f"unexpected reply {reply[:100]!r}"))


# --- The check clamd must pass before it scans ----------------------------------------------------


@dataclass(frozen=True)
class ScannerCheck:
    ok: bool
    #: Why it failed, naming no host or port (/health/ shows it).
    detail: str = "ok"


def over_limit_probe() -> bytes:
    """Zips nested PROBE_DEPTH deep around random bytes, built in memory (about 7 KB). Random,
    because clamd caches the digests of files it found clean: a probe it had seen before would
    be answered from that cache without being unpacked."""
    data = os.urandom(16).hex().encode()
    for level in range(PROBE_DEPTH):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("probe.zip" if level else "probe.txt", data)
        data = buffer.getvalue()
    return data


def scanner_check(*, timeout: float | None = None) -> ScannerCheck:
    """Ask clamd to prove it works: EICAR must be found, and the over-limit probe must come back
    Heuristics.Limits.Exceeded (which needs AlertExceedsMax): otherwise clamd passes as clean
    whatever lies past its limits."""
    try:
        eicar = scan_stream(io.BytesIO(clamd.EICAR), timeout=timeout)
        probe = scan_stream(io.BytesIO(over_limit_probe()), timeout=timeout)
    except ScannerUnavailable as exc:
        logger.warning("The virus scanner check could not reach clamd: %s", exc)
        return ScannerCheck(False, "clamd is not answering")
    if eicar.verdict != Verdict.INFECTED:
        return _check_failed("clamd did not find the EICAR test file")
    if not probe.signature.startswith(LIMITS_EXCEEDED_SIGNATURE):
        return _check_failed(
            "clamd does not report files past its scan limits (set AlertExceedsMax yes)"
        )
    return ScannerCheck(True)


def _check_failed(detail: str) -> ScannerCheck:
    logger.error("The virus scanner at %s failed its check: %s.", clamd_address(), detail)
    return ScannerCheck(False, detail)


#: When each clamd address (as configured) last passed the check, in this process.
_passed_at: dict[str, float] = {}
_passed_lock = threading.Lock()


def scanner_check_now() -> ScannerCheck:
    """Run the check and remember a pass for CLAMD_CHECK_SECONDS."""
    result = scanner_check()
    with _passed_lock:
        if result.ok:
            _passed_at[clamd_address()] = time.monotonic()
        else:
            _passed_at.pop(clamd_address(), None)
    return result


def require_checked_scanner() -> None:
    """Raise ScannerUnavailable unless clamd passed the check within CLAMD_CHECK_SECONDS.

    A failure is not remembered: the next scan attempt (after its backoff) checks again, so a
    clamd that has been put right is used at once.
    """
    with _passed_lock:
        passed_at = _passed_at.get(clamd_address())
    if passed_at is not None and time.monotonic() - passed_at < settings.CLAMD_CHECK_SECONDS:
        return
    result = scanner_check_now()
    if not result.ok:
        raise ScannerUnavailable(
            f"The virus scanner (clamd at {clamd_address()}) failed its check: {result.detail}. "
            "Documents stay pending until it passes."
        )
