"""Tasks make a round trip through the real broker and a real worker process."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

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


def test_tasks_are_routed_to_their_queues():
    from portal.celery import app

    router = app.amqp.router
    assert router.route({}, "documents.tasks.document_scan_run")["queue"].name == "scan"
    assert router.route({}, "notifications.tasks.notification_dispatch")["queue"].name == "notify"
    assert router.route({}, "portal.tasks.worker_echo")["queue"].name == "default"
