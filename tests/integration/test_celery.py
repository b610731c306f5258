"""Tasks make a round trip through the real broker and a real worker process."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from config.celery import app as celery_app
from portal.tasks import sessions_clear_expired, worker_echo

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_task_round_trips_through_the_broker_and_a_worker(celery_worker):
    result = worker_echo.delay("ping through the queue")

    assert result.get(timeout=30) == "ping through the queue"


def test_a_worker_task_changes_the_database_and_repeats_harmlessly(celery_worker):
    expired = SessionStore()
    expired.create()
    Session.objects.filter(pk=expired.session_key).update(
        expire_date=timezone.now() - timedelta(days=1)
    )
    live = SessionStore()
    live.create()

    assert sessions_clear_expired.delay().get(timeout=30) == 1
    assert sessions_clear_expired.delay().get(timeout=30) == 0
    assert list(Session.objects.values_list("pk", flat=True)) == [live.session_key]


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        ("documents.tasks.document_scan_run", "scan"),
        ("notifications.tasks.notification_dispatch", "notify"),
        ("portal.tasks.worker_echo", "default"),
    ],
)
def test_tasks_are_routed_to_their_own_queue_only(task_name, queue):
    target = celery_app.amqp.router.route({}, task_name)["queue"]

    assert target.name == queue
    # Only the queue of that name is bound to where the message is published.
    bound = [
        q.name
        for q in celery_app.amqp.queues.values()
        if q.exchange.name == target.exchange.name and q.routing_key == target.routing_key
    ]
    assert bound == [queue]


def test_an_idle_worker_takes_from_every_queue(celery_worker):
    results = [worker_echo.apply_async(args=[name], queue=name) for name in ("scan", "notify")]

    assert [result.get(timeout=30) for result in results] == ["scan", "notify"]
