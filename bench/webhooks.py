"""Webhook delivery throughput: deliveries to a local receiver by one worker against no-op tasks
through the same broker queue (webhooks) and the same worker, measured interleaved in one run.

The deliveries go the way a backlog goes in production: pending outbox rows, queued by the
sweeper in tasks of api.webhooks.SWEEP_TASK_BATCH, each attempt signed (HMAC-SHA256), checked by
the SSRF rules, posted over a kept-alive connection to the checked address, and recorded. The
receiver is an HTTP server on 127.0.0.1 in this process that answers 200 at once, so the figure
is the cost of the outbox and the signing over the cost of a task.

Measured in ROUNDS (noop, deliveries, noop, deliveries, ...); the figure is the median of the
per-round ratios, so a slow spell of the machine falls on both sides of a ratio.
"""

import datetime
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from api.webhooks import webhook_endpoint_register, webhooks_sweep_pending
from api.webhooks_models import DeliveryState, EventType, WebhookDelivery
from bench.tasks import notification_noop
from config.celery import app as celery_app
from intake.models import Claim, ClaimStatus
from portal.models import Insurer, Role, User
from portal.tasks import worker_echo

ROUNDS = 5
PER_ROUND = 1_000
TARGET = 0.5
REPO_ROOT = Path(__file__).resolve().parent.parent
WORKER_START_SECONDS = 60


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):  # noqa: A002 - http.server's signature
        pass


def _database_url() -> str:
    db = connection.settings_dict
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{db['NAME']}"


def _start_worker() -> subprocess.Popen:
    hostname = f"bench-webhooks-{os.getpid()}@localhost"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        "WEBHOOKS_ALLOW_PRIVATE_HOSTS": "true",
        "DATABASE_CONN_MAX_AGE": "300",
    }
    worker = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
         "--include", "bench.tasks",
         "-Q", "webhooks", "--hostname", hostname, "--loglevel", "WARNING"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + WORKER_START_SECONDS
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError("The benchmark's Celery worker exited at start.")
        if celery_app.control.ping(destination=[hostname], timeout=1.0):
            return worker
    worker.kill()
    raise RuntimeError("The benchmark's Celery worker did not answer within a minute.")


def _drain() -> None:
    """Returns once the worker has run everything queued on webhooks before this call."""
    if worker_echo.apply_async(args=["drained"], queue="webhooks").get(timeout=900) != "drained":
        raise RuntimeError("The webhooks queue did not drain.")


def _timed(publish) -> float:
    started = time.perf_counter()
    publish()
    _drain()
    return time.perf_counter() - started


def _pending_rounds(url: str) -> list[datetime.datetime]:
    """PER_ROUND pending deliveries per round; round r's fall due a day after round r-1's, so a
    sweep as of round r's day finds its rows and no later round's. Returns each sweep's time."""
    stamp = time.time_ns()
    insurer = Insurer.objects.create(name=f"Bench insurer {stamp}")
    patient = User.objects.create(
        email=f"bench-webhooks-{stamp}@example.org", full_name="Bench Patient", role=Role.PATIENT
    )
    claim = Claim.objects.create(
        claimant=patient,
        insurer=insurer,
        status=ClaimStatus.UNDER_REVIEW,
        reference=f"BWH-{stamp % 10**12:012d}",
        submitted_at=timezone.now(),
    )
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
    endpoint, _secret = webhook_endpoint_register(
        insurer=insurer, url=url, event_types=list(EventType.values), actor=None, ping=False
    )
    start = timezone.now() - datetime.timedelta(days=ROUNDS + 1)
    sweeps = []
    body = '{"type":"claim.status_changed","timestamp":"2026-01-01T00:00:00Z","data":{}}'
    for index in range(ROUNDS):
        due = start + datetime.timedelta(days=index)
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                endpoint=endpoint,
                event_type=EventType.CLAIM_STATUS_CHANGED,
                event_key=f"bench:{index}:{i}",
                claim=claim,
                body=body,
                created_at=due,
                next_attempt_at=due,
            )
            for i in range(PER_ROUND)
        )
        sweeps.append(due + datetime.timedelta(minutes=5))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE api_webhookdelivery")
    return sweeps


def _round(sweep_at: datetime.datetime) -> dict[str, float]:
    def noops():
        for i in range(PER_ROUND):
            notification_noop.apply_async(args=[i], queue="webhooks")

    def deliveries():
        while webhooks_sweep_pending(now=sweep_at):
            pass

    return {"noop": _timed(noops), "webhooks": _timed(deliveries)}


def measure() -> list[dict]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sweeps = _pending_rounds(f"http://127.0.0.1:{server.server_address[1]}/hooks")
        celery_app.control.purge()
        worker = _start_worker()
        try:
            _drain()
            timings = [_round(sweep_at) for sweep_at in sweeps]
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
    finally:
        server.shutdown()
        server.server_close()
    delivered = WebhookDelivery.objects.filter(state=DeliveryState.DELIVERED).count()
    if delivered != ROUNDS * PER_ROUND:
        raise RuntimeError(f"Only {delivered} of {ROUNDS * PER_ROUND} webhooks were delivered.")
    ratios = [t["noop"] / t["webhooks"] for t in timings]
    print(
        "  webhook_delivery_ratio_vs_noop: median of the rounds' ratios "
        + ", ".join(f"{r:.2f}" for r in ratios),
        flush=True,
    )
    ratio = statistics.median(ratios)
    per_second = statistics.median(PER_ROUND / t["webhooks"] for t in timings)
    noops = statistics.median(PER_ROUND / t["noop"] for t in timings)
    return [
        _row(
            "webhook_delivery_ratio_vs_noop",
            round(ratio, 2),
            "ratio",
            f">= {TARGET}",
            ratio >= TARGET,
        ),
        _row("webhook_deliveries_per_second", round(per_second, 1), "deliveries/s", "report", True),
        _row("webhook_noop_tasks_per_second", round(noops, 1), "tasks/s", "report", True),
    ]


def _row(name: str, value, unit: str, target: str, meets: bool) -> dict:
    return {"name": name, "value": value, "unit": unit, "target": target, "meets": bool(meets)}
