"""The one way work is handed to the workers: a task queued once the transaction commits, or
published at once by a sweeper.

A broker that is down never fails the caller. Every caller's work is already recorded (a pending
document, a submitted claim, an outbox row) and has a sweeper that queues it again later, so a
publish that fails is logged, by task name and ids only, and left to that sweeper.

After a task's publish fails, this process does not publish that task again for
TASK_PUBLISH_PAUSE_SECONDS: each try costs the connection retries of
CELERY_BROKER_TRANSPORT_OPTIONS (over half a second against a closed port, far more against a host
that does not answer), and requests made while the broker is down would each pay them for nothing,
since the sweepers pick the work up either way. The pause is per task, so one kind of work that
could not be queued never holds back another.
"""

import functools
import logging
import time

from celery import Task
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

#: What publishing raises when the broker is out of reach: kombu's OperationalError, and socket or
#: runtime errors when a transport or result backend gives up reconnecting in its own way.
BROKER_ERRORS = (OperationalError, OSError, RuntimeError)

#: Task name -> the monotonic time until which this process does not publish it.
_paused_until: dict[str, float] = {}


def queue_after_commit(task: Task, /, *args, sweeper: str, **kwargs) -> None:
    """Publish `task(*args, **kwargs)` once the current transaction commits (at once outside
    one). `sweeper` says what queues the work again if the broker is down, for the log."""
    transaction.on_commit(functools.partial(task_publish, task, *args, sweeper=sweeper, **kwargs))


def task_publish(task: Task, /, *args, sweeper: str, options: dict | None = None, **kwargs) -> bool:
    """Publish `task(*args, **kwargs)` now (`options` go to apply_async: a countdown, say).
    Returns whether it was queued; a broker that is down is logged and left to `sweeper`."""
    if time.monotonic() < _paused_until.get(task.name, 0.0):
        return False
    try:
        if options:
            task.apply_async(args=args, kwargs=kwargs, **options)
        else:
            task.delay(*args, **kwargs)
    except BROKER_ERRORS:
        # The arguments are ids by the tasks' own rule, never health details.
        logger.warning("Could not queue %s for %s; %s.", task.name, _ids(args, kwargs), sweeper)
        _paused_until[task.name] = time.monotonic() + settings.TASK_PUBLISH_PAUSE_SECONDS
        return False
    return True


def _ids(args: tuple, kwargs: dict) -> str:
    return ", ".join(str(value) for value in (*args, *kwargs.values())) or "no arguments"
