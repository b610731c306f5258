"""Notification delivery throughput: 10,000 notification emails delivered by one worker against
10,000 no-op tasks through the same broker and the same worker, in the same run.

The emails go the way a backlog goes in production: the sweeper queues the pending rows in tasks of
NOTIFICATION_DISPATCH_BATCH, each sending over one mail-server connection, locking, re-checking and
marking its rows a chunk at a time (notifications.services.DISPATCH_CHUNK). The same 10,000 as one
task per email (what a single event with one recipient costs) is reported beside it.

Runs inside a configured Django (PostgreSQL, migrated) with a reachable broker. It starts its own
worker (one process, solo pool, the notify queue) with the in-memory email backend, so the figure
is the cost of the outbox (locking, rendering, marking sent) over the cost of a task.
"""

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from intake.models import Claim, ClaimStatus
from notifications.models import Channel, Notification, State
from notifications.services import notifications_sweep_undelivered
from notifications.tasks import notification_dispatch, notification_noop
from portal.celery import app as celery_app
from portal.models import Role, User
from portal.tasks import worker_echo

COUNT = 10_000
TARGET = 0.5
REPO_ROOT = Path(__file__).resolve().parent.parent
WORKER_START_SECONDS = 60


def _database_url() -> str:
    db = connection.settings_dict
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{db['NAME']}"


def _start_worker() -> tuple[subprocess.Popen, str]:
    hostname = f"bench-notify-{os.getpid()}@localhost"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        "EMAIL_URL": "memorymail://",
        "EMAIL_BACKEND": "",
        "NOTIFICATIONS_DELIVER_IN_PROCESS": "false",
        # Workers keep their database connection between tasks, as deployed (README); with 0,
        # every task would open a new PostgreSQL connection.
        "DATABASE_CONN_MAX_AGE": "300",
    }
    worker = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo",
         "-Q", "notify", "--hostname", hostname, "--loglevel", "WARNING"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + WORKER_START_SECONDS
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError("The benchmark's Celery worker exited at start.")
        if celery_app.control.ping(destination=[hostname], timeout=1.0):
            return worker, hostname
    worker.kill()
    raise RuntimeError("The benchmark's Celery worker did not answer within a minute.")


def _drain() -> None:
    """Returns once the worker has run everything queued on notify before this call."""
    if worker_echo.apply_async(args=["drained"], queue="notify").get(timeout=900) != "drained":
        raise RuntimeError("The notify queue did not drain.")


def _pending_notifications(*, due: datetime.datetime | None = None) -> list[int]:
    stamp = time.time_ns()
    patient = User.objects.create(
        email=f"bench-notify-{stamp}@example.org", full_name="Bench Patient", role=Role.PATIENT
    )
    claim = Claim.objects.create(
        claimant=patient,
        status=ClaimStatus.UNDER_REVIEW,
        reference=f"BEN-{stamp % 10**12:012d}",
        submitted_at=timezone.now(),
    )
    now = timezone.now()
    due = due or now
    rows = Notification.objects.bulk_create(
        Notification(
            recipient=patient,
            channel=Channel.EMAIL,
            kind="claim_acknowledged",
            title="Your claim has been acknowledged",
            claim=claim,
            state=State.PENDING,
            idempotency_key=f"bench:{stamp}:{i}",
            created_at=now,
            next_attempt_at=due,
        )
        for i in range(COUNT)
    )
    return [row.pk for row in rows]


def _timed(publish) -> float:
    started = time.perf_counter()
    publish()
    _drain()
    return time.perf_counter() - started


def _all_sent(ids: list[int]) -> None:
    sent = Notification.objects.filter(pk__in=ids, state=State.SENT).count()
    if sent != COUNT:
        raise RuntimeError(f"Only {sent} of {COUNT} notifications were delivered.")


def _sweep_all() -> None:
    """What beat's sweeps do to a backlog: queue every pending row, NOTIFICATION_SWEEP_BATCH rows
    at a time."""
    now = timezone.now()
    while notifications_sweep_undelivered(now=now):
        pass


def notify_throughput() -> dict[str, float]:
    """Seconds for COUNT no-op tasks, COUNT emails swept in batches, COUNT emails one task each."""
    long_ago = timezone.now() - datetime.timedelta(days=1)
    swept_ids = _pending_notifications(due=long_ago)
    single_ids = _pending_notifications()  # not yet due: the sweep leaves them
    celery_app.control.purge()
    worker, _hostname = _start_worker()
    try:
        _drain()  # warm: connections open, code imported
        noop = _timed(lambda: [notification_noop.delay(i) for i in range(COUNT)])
        swept = _timed(_sweep_all)
        single = _timed(lambda: [notification_dispatch.delay(pk) for pk in single_ids])
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
    _all_sent(swept_ids)
    _all_sent(single_ids)
    return {"noop": noop, "swept": swept, "single": single}


def measure() -> list[dict]:
    """Every notifications figure, as the results file's rows."""
    seconds = notify_throughput()
    ratio = seconds["noop"] / seconds["swept"]
    single_ratio = seconds["noop"] / seconds["single"]
    return [
        _row(
            "notify_throughput_ratio_vs_noop",
            round(ratio, 2),
            "ratio",
            f">= {TARGET}",
            ratio >= TARGET,
        ),
        _row(
            "notify_one_task_per_email_ratio_vs_noop",
            round(single_ratio, 2),
            "ratio",
            "report",
            True,
        ),
        _row(
            "notify_emails_per_second",
            round(COUNT / seconds["swept"], 1),
            "emails/s",
            "report",
            True,
        ),
        _row(
            "notify_noop_tasks_per_second",
            round(COUNT / seconds["noop"], 1),
            "tasks/s",
            "report",
            True,
        ),
    ]


def _row(name: str, value, unit: str, target: str, meets: bool) -> dict:
    return {"name": name, "value": value, "unit": unit, "target": target, "meets": bool(meets)}
