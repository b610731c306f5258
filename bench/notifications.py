"""Notification delivery throughput: notification emails delivered by one worker against no-op
tasks through the same broker queue and the same worker, measured interleaved in the same run.

The emails go the way a backlog goes in production: the sweeper queues the pending rows in tasks of
NOTIFICATION_DISPATCH_BATCH, each sending over one mail-server connection, taking, sending and
recording its rows a chunk at a time (notifications.delivery.ROWS_TAKEN_AT_ONCE). The same emails as
one task per email (what a single event with one recipient costs) are reported beside it.

The three are measured in ROUNDS, one after another within each round (noop, swept, single, noop,
swept, ...), and each figure is the median of its per-round ratios: a slow spell of the machine (a
database still digesting what an earlier bench loaded, another process) then falls on both sides
of a ratio instead of on one.

Runs inside a configured Django (PostgreSQL, migrated) with a reachable broker. It starts its own
worker (one process, solo pool, the notify queue) with the in-memory email backend, so the figure
is the cost of the outbox (locking, rendering, recording sent) over the cost of a task.
"""

import datetime
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from bench.tasks import notification_noop
from config.celery import app as celery_app
from intake.models import Claim, ClaimStatus
from notifications.delivery import notifications_sweep_undelivered
from notifications.models import Channel, Notification, State
from notifications.tasks import notification_dispatch
from portal.models import Role, User
from portal.tasks import worker_echo

#: Rounds of PER_ROUND no-op tasks, swept emails and one-task emails: 10,000 of each in all.
ROUNDS = 5
PER_ROUND = 2_000
COUNT = ROUNDS * PER_ROUND
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
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
         "--include", "bench.tasks",
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


def _pending_notifications(*, count: int, due: datetime.datetime) -> list[int]:
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
    rows = Notification.objects.bulk_create(
        Notification(
            recipient=patient,
            channel=Channel.EMAIL,
            kind="claim_acknowledged",
            title="Your claim has been acknowledged",
            claim=claim,
            state=State.PENDING,
            idempotency_key=f"bench:{stamp}:{i}",
            created_at=due,
            next_attempt_at=due,
        )
        for i in range(count)
    )
    return [row.pk for row in rows]


def _timed(publish) -> float:
    started = time.perf_counter()
    publish()
    _drain()
    return time.perf_counter() - started


def _all_sent(ids: list[int]) -> None:
    sent = Notification.objects.filter(pk__in=ids, state=State.SENT).count()
    if sent != len(ids):
        raise RuntimeError(f"Only {sent} of {len(ids)} notifications were delivered.")


def _sweep_all(now: datetime.datetime) -> None:
    """What beat's sweeps do to a backlog: queue every pending row due before `now` less the
    grace period, NOTIFICATION_SWEEP_BATCH rows at a time."""
    while notifications_sweep_undelivered(now=now):
        pass


@dataclass
class Round:
    """One round's rows: those the sweep finds at `sweep_at`, and those sent one task each."""

    swept_ids: list[int]
    sweep_at: datetime.datetime
    single_ids: list[int]


def _rounds() -> list[Round]:
    """Every round's rows, made before the worker starts. Round r's swept rows fall due a day
    after round r-1's, so a sweep as of round r's day finds its rows and no later round's; the
    single rows are due in a year, which no sweep reaches."""
    start = timezone.now() - datetime.timedelta(days=ROUNDS + 1)
    grace = datetime.timedelta(minutes=settings.NOTIFICATION_REQUEUE_MINUTES, seconds=1)
    never = timezone.now() + datetime.timedelta(days=365)
    rounds = []
    for index in range(ROUNDS):
        due = start + datetime.timedelta(days=index)
        rounds.append(
            Round(
                swept_ids=_pending_notifications(count=PER_ROUND, due=due),
                sweep_at=due + grace,
                single_ids=_pending_notifications(count=PER_ROUND, due=never),
            )
        )
    with connection.cursor() as cursor:
        # Fresh statistics, so no autovacuum ANALYZE lands in the middle of a round.
        cursor.execute("ANALYZE notifications_notification")
    return rounds


def _run_round(batch: Round) -> dict[str, float]:
    def noops():
        for i in range(PER_ROUND):
            notification_noop.apply_async(args=[i], queue="notify")

    def singles():
        for pk in batch.single_ids:
            notification_dispatch.delay(pk)

    return {
        "noop": _timed(noops),
        "swept": _timed(lambda: _sweep_all(batch.sweep_at)),
        "single": _timed(singles),
    }


def notify_throughput() -> list[dict[str, float]]:
    """Seconds per round for PER_ROUND no-op tasks, emails swept in batches, emails one task
    each, the three measured one after another in every round."""
    rounds = _rounds()
    celery_app.control.purge()
    worker, _hostname = _start_worker()
    try:
        _drain()  # warm: connections open, code imported
        timings = [_run_round(batch) for batch in rounds]
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
    for batch in rounds:
        _all_sent(batch.swept_ids)
        _all_sent(batch.single_ids)
    return timings


def measure() -> list[dict]:
    """Every notifications figure, as the results file's rows."""
    timings = notify_throughput()
    rounds = ", ".join(f"{t['noop'] / t['swept']:.2f}" for t in timings)
    print(f"  notify_throughput_ratio_vs_noop: median of the rounds' ratios {rounds}", flush=True)
    ratio = statistics.median(t["noop"] / t["swept"] for t in timings)
    single_ratio = statistics.median(t["noop"] / t["single"] for t in timings)
    emails_per_second = statistics.median(PER_ROUND / t["swept"] for t in timings)
    noops_per_second = statistics.median(PER_ROUND / t["noop"] for t in timings)
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
        _row("notify_emails_per_second", round(emails_per_second, 1), "emails/s", "report", True),
        _row("notify_noop_tasks_per_second", round(noops_per_second, 1), "tasks/s", "report", True),
    ]


def _row(name: str, value, unit: str, target: str, meets: bool) -> dict:
    return {"name": name, "value": value, "unit": unit, "target": target, "meets": bool(meets)}
