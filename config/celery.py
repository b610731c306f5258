"""The Celery app. Configuration comes from settings (the CELERY_ prefix), the beat schedule too.

Every task is a PortalTask: a transient database error (SQLite's lock, a dropped PostgreSQL
connection, a serialization failure or deadlock) runs the task again after a backoff, as clamd
or S3 being down does, instead of killing it. Tasks are idempotent, so running one again is safe.
"""

import logging
import os

from celery import Celery, Task
from django.conf import settings

from portal.database_errors import (
    TRANSIENT_DATABASE_ERRORS,
    discard_broken_connections,
    jittered_backoff,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

logger = logging.getLogger(__name__)


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
                countdown=jittered_backoff(
                    self.request.retries,
                    first=1.0,
                    maximum=settings.TASK_DATABASE_RETRY_MAX_SECONDS,
                ),
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
