"""The one way work is queued: after commit, through the real broker, and a broker that is down
(a closed port) costing the caller nothing but a log line naming the task and its ids."""

import logging
import socket

import pytest
from celery import Celery
from django.db import transaction

from config.celery import app as portal_app
from portal import queueing

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the probe is


@pytest.fixture
def unreachable():
    """A task whose app's broker is a closed port: every publish of it fails, as in an outage."""
    app = Celery("unreachable", set_as_current=False)
    # The write URL: CELERY_BROKER_URL in the environment overrides broker_url, not this.
    app.conf.broker_write_url = f"redis://127.0.0.1:{_closed_port()}/0"
    app.conf.broker_transport_options = portal_app.conf.broker_transport_options

    @app.task(name="tests.unreachable_task", ignore_result=True)
    def unreachable_task(claim_id: str) -> None:  # pragma: no cover - never runs
        pass

    yield unreachable_task
    queueing._paused_until.pop(unreachable_task.name, None)


@pytest.fixture
def published():
    """The names of the tasks that left for the real broker during the test."""
    from celery.signals import after_task_publish

    names = []

    def note(sender=None, **_kwargs):
        names.append(sender)

    after_task_publish.connect(note, weak=False)
    yield names
    after_task_publish.disconnect(note)


def test_a_task_is_published_only_once_the_transaction_commits(
    django_capture_on_commit_callbacks, published
):
    from portal.tasks import worker_echo

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        queueing.queue_after_commit(worker_echo, "after commit", sweeper="nothing")
        assert published == []
    assert published == [worker_echo.name]


def test_a_broker_that_is_down_is_logged_by_task_and_ids_and_left_to_the_sweeper(
    unreachable, django_capture_on_commit_callbacks, caplog
):
    with (
        caplog.at_level(logging.WARNING, logger="portal.queueing"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        queueing.queue_after_commit(unreachable, "claim-7", sweeper="the sweep will do it")

    assert caplog.messages == [
        "Could not queue tests.unreachable_task for claim-7; the sweep will do it."
    ]


def test_after_a_failed_publish_that_task_waits_and_others_still_go(
    unreachable, published, settings, caplog
):
    from portal.tasks import worker_echo

    settings.TASK_PUBLISH_PAUSE_SECONDS = 3600
    with caplog.at_level(logging.WARNING, logger="portal.queueing"):
        assert not queueing.task_publish(unreachable, "claim-7", sweeper="the sweep")
        # Paused: not even tried (a try would reach the closed port and log its failure).
        assert not queueing.task_publish(unreachable, "claim-8", sweeper="the sweep")
    assert [message for message in caplog.messages if "claim-8" in message] == []
    assert len(caplog.messages) == 1
    published.clear()
    # Another kind of work is not held back by it.
    assert queueing.task_publish(worker_echo, "still queued", sweeper="nothing")
    assert published == [worker_echo.name]
