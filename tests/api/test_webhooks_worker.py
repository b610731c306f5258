"""Webhooks through the real broker and the session's real worker (tests/conftest.py, on the
webhooks queue, allowed to reach loopback): a change is delivered to the local receiver and
verified with the standardwebhooks package; changes made while the broker is down are delivered
once the sweeper runs, none lost and none twice."""

import datetime
import os
import socket
import subprocess
import sys
import time

import pytest
from django.db import connection
from django.utils import timezone

from api.webhooks import webhook_endpoint_register, webhooks_sweep_pending
from api.webhooks_models import DeliveryState, EventType, WebhookDelivery
from intake.models import ClaimStatus
from intake.services import claim_transition
from tests.api.webhooks_receiver import running_receiver
from tests.notifications.conftest import make_world
from tests.worker import REPO_ROOT, database_url

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CHANGES = 20


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
    with running_receiver() as receiver:
        yield receiver


def _wait_until_delivered(count: int, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    delivered = 0
    while time.monotonic() < deadline:
        delivered = WebhookDelivery.objects.filter(state=DeliveryState.DELIVERED).count()
        if delivered >= count:
            return
        time.sleep(0.2)
    pytest.fail(f"Only {delivered} of {count} deliveries were recorded delivered in time.")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_worker_delivers_a_change_to_the_receiver(celery_worker, receiver):
    world = make_world(ClaimStatus.ASSIGNED)
    _endpoint, secret = webhook_endpoint_register(
        insurer=world.claim.insurer,
        url=receiver.url,
        event_types=[EventType.CLAIM_STATUS_CHANGED],
        actor=None,
        ping=False,
    )

    claim_transition(claim=world.claim, to_status=ClaimStatus.UNDER_REVIEW, actor=world.adjuster)

    (request,) = receiver.wait_for(1)
    payload = request.payload(secret)
    assert payload["type"] == "claim.status_changed"
    assert payload["data"]["reference"] == world.claim.reference
    _wait_until_delivered(1)


def test_changes_made_while_the_broker_is_down_are_delivered_once_by_the_sweeper(
    celery_worker, receiver
):
    worlds = [make_world(ClaimStatus.ASSIGNED) for _ in range(CHANGES)]
    secrets = {}
    for world in worlds:
        endpoint, secret = webhook_endpoint_register(
            insurer=world.claim.insurer,
            url=receiver.url,
            event_types=[EventType.CLAIM_STATUS_CHANGED],
            actor=None,
            ping=False,
        )
        secrets[str(endpoint.pk)] = secret
    script = (
        "import django, sys; django.setup()\n"
        "from intake.models import Claim\n"
        "from intake.services import claim_transition\n"
        "from portal.models import User\n"
        "for pair in sys.argv[1].split(','):\n"
        "    claim_id, adjuster_id = pair.split(':')\n"
        "    claim_transition(claim=Claim.objects.get(pk=claim_id), to_status='under_review',\n"
        "                     actor=User.objects.get(pk=int(adjuster_id)))\n"
    )
    pairs = ",".join(f"{world.claim.pk}:{world.adjuster.pk}" for world in worlds)
    with connection.cursor():
        database = database_url(connection.settings_dict)
    done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", script, pairs],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": database,
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{_closed_port()}/0",
            "CELERY_RESULT_BACKEND": f"redis://127.0.0.1:{_closed_port()}/0",
            "PORTAL_IGNORE_DOTENV": "true",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    # Every change holds, with its delivery written and waiting: none could be queued.
    rows = WebhookDelivery.objects.all()
    assert rows.count() == CHANGES
    assert set(rows.values_list("state", "attempts")) == {(DeliveryState.PENDING, 0)}

    # The broker is back (this process's): the sweeper, a beat later, queues them all.
    later = timezone.now() + datetime.timedelta(minutes=5)
    assert webhooks_sweep_pending(now=later) == CHANGES
    received = receiver.wait_for(CHANGES)
    _wait_until_delivered(CHANGES)

    assert len(received) == CHANGES
    ids = {request.headers["webhook-id"] for request in received}
    assert ids == {row.message_id for row in rows}
    by_id = {row.message_id: str(row.endpoint_id) for row in rows}
    for request in received:
        assert request.verifies_with(secrets[by_id[request.headers["webhook-id"]]])
    assert webhooks_sweep_pending(now=later + datetime.timedelta(hours=1)) == 0
