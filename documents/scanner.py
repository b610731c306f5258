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

    Raises ScannerUnavailable when clamd cannot be reached or the reply is not understood.
    """
    conn = _connection(timeout)
    try:
        conn._init_socket()
        try:
            conn._send_command("INSTREAM")
            while chunk := stream.read(STREAM_CHUNK_BYTES):
                conn.clamd_socket.sendall(struct.pack("!L", len(chunk)) + chunk)
            conn.clamd_socket.sendall(struct.pack("!L", 0))
            reply = conn._recv_response()
        finally:
            conn._close_socket()
    except (clamd.ClamdError, OSError) as exc:
        if isinstance(exc, OSError) and _is_size_limit_hangup(exc):
            return ScanResult(Verdict.UNSCANNABLE, SIZE_LIMIT_REPLY)
        raise _unavailable(exc) from exc
    return _judge(reply)


def _is_size_limit_hangup(exc: OSError) -> bool:
    # clamd replies "size limit exceeded" and closes while we are still sending: a reset pipe.
    return isinstance(exc, BrokenPipeError | ConnectionResetError)


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
