"""A task that meets a locked database runs again later instead of dying (config.celery).

On the embedded default (SQLite) another process holds the database's write lock for longer
than the worker's busy timeout, exactly what a burst of web requests did to the scan task.
"""

import contextlib
import sqlite3
import time

import pytest

from tests.live_portal import manage, running_portal

pytestmark = pytest.mark.integration

REDIS_URL = "redis://127.0.0.1:6379/7"
LOCK_SECONDS = 3
QUEUE_THE_TASK = "from portal.tasks import sessions_clear_expired; sessions_clear_expired.delay()"


def test_a_task_that_meets_a_locked_database_runs_again_once_it_is_free(tmp_path):
    env = {"SQLITE_BUSY_TIMEOUT_SECONDS": "0.2", "TASK_DATABASE_RETRY_MAX_SECONDS": "1"}
    with running_portal(
        "sqlite", tmp_path, redis_url=REDIS_URL, env=env, processes=("worker",)
    ) as portal:
        path = portal.database_url.removeprefix("sqlite://")
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as database:
            database.execute(
                "INSERT INTO django_session (session_key, session_data, expire_date) "
                "VALUES ('expired-session', '', '2000-01-01 00:00:00')"
            )
            database.execute("BEGIN EXCLUSIVE")
            manage(portal.env, "shell", "-c", QUEUE_THE_TASK)
            portal.wait_until(
                lambda: (
                    "sessions_clear_expired met a transient database error" in portal.log("worker")
                ),
                seconds=60,
                what="the task meeting the lock",
            )
            time.sleep(LOCK_SECONDS)
            database.execute("COMMIT")

        def session_gone() -> bool:
            left = portal.query("SELECT count(*) FROM django_session WHERE session_key = %s",
                                ("expired-session",))  # fmt: skip
            return left[0][0] == 0

        portal.wait_until(session_gone, seconds=60, what="the task done once the lock is free")
        assert "sessions_clear_expired" in portal.log("worker")
        assert "succeeded" in portal.log("worker")
