"""Talking to clamd: the one place that knows its protocol, replies and failure modes."""

import enum
import socket
import struct
from dataclasses import dataclass
from typing import BinaryIO

import clamd
from django.conf import settings

# Bytes sent per INSTREAM chunk; clamd's StreamMaxLength bounds the total, not the chunk.
STREAM_CHUNK_BYTES = 64 * 1024
SIZE_LIMIT_REPLY = "INSTREAM size limit exceeded"
LIMITS_EXCEEDED_SIGNATURE = "Heuristics.Limits.Exceeded"


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
