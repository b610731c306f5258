"""The Celery app. Configuration comes from settings (the CELERY_ prefix), the beat schedule too.

Every task is a PortalTask: a transient database error (SQLite's lock, a dropped PostgreSQL
connection, a serialization failure or deadlock) runs the task again, as clamd or S3 being down
does, instead of killing it. Tasks are idempotent, so running one again is safe.
"""

import logging
import os
import time

from celery import Celery, Task
from django.conf import settings

from portal.database_errors import (
    TRANSIENT_DATABASE_ERRORS,
    discard_broken_connections,
    is_transient,
    jittered_backoff,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

logger = logging.getLogger(__name__)

#: Seconds before the first try again in the same process; the backoff doubles from there.
FIRST_RETRY_SECONDS = 0.2
#: Once the tries in the process are spent, the task goes back to the broker for this long.
REQUEUE_SECONDS = 60


class PortalTask(Task):
    def __call__(self, *args, **kwargs):
        """Run the task; after a transient database error, run it again in this process up to
        TASK_DATABASE_RETRIES times with backoff (a lock passes in moments), then hand it back
        to the broker. Trying again in the process keeps the task's own retry count
        (request.retries) for its own causes, such as clamd being down."""
        for attempt in range(settings.TASK_DATABASE_RETRIES + 1):
            try:
                return super().__call__(*args, **kwargs)
            except TRANSIENT_DATABASE_ERRORS as error:
                if not is_transient(error) or self.request.is_eager or self.request.called_directly:
                    raise
                discard_broken_connections()
                logger.warning(
                    "Task %s met a transient database error; it will run again.", self.name
                )
                if attempt < settings.TASK_DATABASE_RETRIES:
                    time.sleep(self._pause(attempt))
                    continue
                raise self.retry(exc=error, countdown=REQUEUE_SECONDS, max_retries=None) from error

    @staticmethod
    def _pause(attempt: int) -> float:
        return jittered_backoff(
            attempt, first=FIRST_RETRY_SECONDS, maximum=settings.TASK_DATABASE_RETRY_MAX_SECONDS
        )


app = Celery("portal", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
