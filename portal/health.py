"""Checks of the four things the portal cannot work without. Each answers ok or a short reason.

Reasons name the failure (refused, timed out, not found) but never a URL, password or key.
"""

from collections.abc import Callable
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import DatabaseError, connection
from kombu import Connection

from documents.scanner import ScannerUnavailable, scanner_version
from documents.storage import s3_client


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str = "ok"


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return CheckResult(False, _short(exc))
    return CheckResult(True)


def check_broker() -> CheckResult:
    timeout = settings.HEALTH_CHECK_TIMEOUT_SECONDS
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # kombu raises transport-specific errors of many kinds
        return CheckResult(False, _short(exc))
    return CheckResult(True)


def check_object_store() -> CheckResult:
    try:
        s3_client(timeout=settings.HEALTH_CHECK_TIMEOUT_SECONDS).head_bucket(
            Bucket=settings.S3_BUCKET
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        return CheckResult(False, f"bucket not reachable ({code})")
    except BotoCoreError as exc:
        return CheckResult(False, type(exc).__name__)
    return CheckResult(True)


def check_virus_scanner() -> CheckResult:
    try:
        scanner_version(timeout=settings.HEALTH_CHECK_TIMEOUT_SECONDS)
    except ScannerUnavailable:
        return CheckResult(False, "clamd is not answering")
    return CheckResult(True)


CHECKS: dict[str, Callable[[], CheckResult]] = {
    "database": check_database,
    "broker": check_broker,
    "object_store": check_object_store,
    "virus_scanner": check_virus_scanner,
}


def run_checks() -> dict[str, CheckResult]:
    return {name: check() for name, check in CHECKS.items()}


def _short(exc: Exception) -> str:
    """The exception's kind and first line, without connection strings (which carry secrets)."""
    first_line = str(exc).splitlines()[0] if str(exc) else ""
    if "://" in first_line or "password" in first_line.lower():
        return type(exc).__name__
    return f"{type(exc).__name__}: {first_line[:120]}"
