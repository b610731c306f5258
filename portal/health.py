"""Checks of the four things the portal cannot work without. Each answers ok or a short reason.

/health/ is public, so a reason names only the kind of failure: never a host, port, URL,
user name, password or key (those go to the log, which only operators read).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import DatabaseError, connection
from kombu import Connection

from documents.scanner import ScannerUnavailable, scanner_version
from documents.storage import s3_client

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str = "ok"


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return _failed("database", exc)
    return CheckResult(True)


def check_broker() -> CheckResult:
    timeout = settings.HEALTH_CHECK_TIMEOUT_SECONDS
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # kombu raises transport-specific errors of many kinds
        return _failed("broker", exc)
    return CheckResult(True)


def check_object_store() -> CheckResult:
    try:
        s3_client(timeout=settings.HEALTH_CHECK_TIMEOUT_SECONDS).head_bucket(
            Bucket=settings.S3_BUCKET
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        return _failed("object_store", exc, reason=f"bucket not reachable ({code})")
    except BotoCoreError as exc:
        return _failed("object_store", exc)
    return CheckResult(True)


def check_virus_scanner() -> CheckResult:
    try:
        scanner_version(timeout=settings.HEALTH_CHECK_TIMEOUT_SECONDS)
    except ScannerUnavailable as exc:
        return _failed("virus_scanner", exc, reason="clamd is not answering")
    return CheckResult(True)


CHECKS: dict[str, Callable[[], CheckResult]] = {
    "database": check_database,
    "broker": check_broker,
    "object_store": check_object_store,
    "virus_scanner": check_virus_scanner,
}


def run_checks() -> dict[str, CheckResult]:
    return {name: check() for name, check in CHECKS.items()}


def _failed(name: str, exc: Exception, *, reason: str = "") -> CheckResult:
    logger.warning("Health check %s failed: %s", name, exc)
    return CheckResult(False, reason or f"{type(exc).__name__}")
