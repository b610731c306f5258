"""/health/: checks of the four things the portal cannot work without. Each answers ok or a short
reason. They live in config because they look at every part (database, broker, object store,
virus scanner), so no app below has to import the others.

/health/ is public, so a reason names only the kind of failure: never a host, port, URL,
user name, password or key (those go to the log, which only operators read).

Results are kept for HEALTH_CHECK_CACHE_SECONDS in this process, so that load balancers and
monitors probing often cannot load the services checked (the virus scanner check scans two
files). They are kept in memory rather than in the cache backend because that backend (Redis)
may itself be what is down.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from documents.scanner import scanner_check
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
    """The check a worker runs when it starts: clamd answers, finds EICAR and reports a file
    past its limits as Heuristics.Limits.Exceeded. Failing that, scans wait, so health fails."""
    result = scanner_check(timeout=settings.HEALTH_CHECK_TIMEOUT_SECONDS)
    if not result.ok:
        logger.warning("Health check virus_scanner failed: %s", result.detail)
    return CheckResult(result.ok, result.detail)


CHECKS: dict[str, Callable[[], CheckResult]] = {
    "database": check_database,
    "broker": check_broker,
    "object_store": check_object_store,
    "virus_scanner": check_virus_scanner,
}


_results: dict[str, CheckResult] = {}
_checked_at: float | None = None
_lock = threading.Lock()


def run_checks() -> dict[str, CheckResult]:
    """Every check's result, at most HEALTH_CHECK_CACHE_SECONDS old. One thread at a time runs
    them; others arriving meanwhile wait and share its results."""
    global _checked_at
    with _lock:
        fresh = (
            _checked_at is not None
            and time.monotonic() - _checked_at < settings.HEALTH_CHECK_CACHE_SECONDS
        )
        if not fresh:
            _results.clear()
            _results.update({name: check() for name, check in CHECKS.items()})
            _checked_at = time.monotonic()
        return dict(_results)


def forget_results() -> None:
    """Drop the kept results, so that the next request checks again."""
    global _checked_at
    with _lock:
        _checked_at = None


def _failed(name: str, exc: Exception, *, reason: str = "") -> CheckResult:
    logger.warning("Health check %s failed: %s", name, exc)
    return CheckResult(False, reason or f"{type(exc).__name__}")


@never_cache
@require_GET
def health_view(request: HttpRequest) -> JsonResponse:
    results = run_checks()
    healthy = all(result.ok for result in results.values())
    body = {
        "status": "ok" if healthy else "failing",
        "checks": {
            name: {"ok": result.ok, "detail": result.detail} for name, result in results.items()
        },
    }
    return JsonResponse(body, status=200 if healthy else 503)
