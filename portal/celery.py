"""The Celery app. Configuration comes from settings (the CELERY_ prefix), the beat schedule too.

Every task is a PortalTask: a transient database error (SQLite's lock, a dropped PostgreSQL
connection, a serialization failure or deadlock) runs the task again after a backoff, as clamd
or S3 being down does, instead of killing it. Tasks are idempotent, so running one again is safe.
"""

import logging
import os
import random

from celery import Celery, Task
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

logger = logging.getLogger(__name__)

#: Django wraps the driver's errors: psycopg's SerializationFailure and DeadlockDetected are
#: OperationalErrors, as are SQLite's "database is locked" and a connection the server dropped.
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)


def database_retry_countdown(retries: int) -> float:
    """Exponential backoff with full jitter, so tasks that collided do not collide again."""
    ceiling = min(2**retries, settings.TASK_DATABASE_RETRY_MAX_SECONDS)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret


def discard_broken_connections() -> None:
    """Close the connections after an error: workers keep theirs between tasks
    (CELERY_DB_REUSE_MAX), and the next task must not inherit one the error left unusable."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


class PortalTask(Task):
    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except TRANSIENT_DATABASE_ERRORS as error:
            discard_broken_connections()
            if self.request.is_eager or self.request.called_directly:
                raise
            logger.warning("Task %s met a transient database error; it will run again.", self.name)
            raise self.retry(
                exc=error,
                countdown=database_retry_countdown(self.request.retries),
                max_retries=self._database_retries(),
            ) from error

    def _database_retries(self) -> int | None:
        """At least TASK_DATABASE_RETRIES; a task that retries for ever on its own still does."""
        if self.max_retries is None:
            return None
        return max(self.max_retries, settings.TASK_DATABASE_RETRIES)


app = Celery("portal", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
