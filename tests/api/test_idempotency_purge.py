"""The daily purge of Idempotency-Keys (api.idempotency.idempotent_requests_purge): rows older
than API_IDEMPOTENCY_DAYS go, in batches; younger ones keep answering repeats."""

import datetime
import time

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from api import tasks as api_tasks
from api.idempotency import idempotent_requests_purge
from api.models import IdempotentRequest
from tests.api.conftest import connect
from triage.models import ClaimNote

pytestmark = pytest.mark.django_db


def _note(connected, claim, key: str):
    return connected.http.post(
        f"/api/v1/claims/{claim.pk}/notes/",
        {"body": "Call back"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def _age(key: str, days: float) -> None:
    IdempotentRequest.objects.filter(key=key).update(
        created_at=timezone.now() - datetime.timedelta(days=days)
    )


def test_keys_past_the_setting_are_deleted_in_batches_and_younger_ones_kept(
    connected, claim, settings
):
    settings.API_IDEMPOTENCY_DAYS = 7
    for number in range(5):
        assert _note(connected, claim, f"old-{number}").status_code == 201
        _age(f"old-{number}", days=7.01)
    _note(connected, claim, "recent")
    _age("recent", days=6.99)

    assert idempotent_requests_purge(batch_size=2) == 5  # three batches: 2, 2 and 1

    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["recent"]
    assert idempotent_requests_purge() == 0  # a second run finds nothing


def test_a_purged_key_is_forgotten_and_a_kept_one_still_replays(connected, claim, settings):
    settings.API_IDEMPOTENCY_DAYS = 3
    _note(connected, claim, "kept")
    _note(connected, claim, "purged")
    _age("kept", days=2)
    _age("purged", days=4)

    idempotent_requests_purge()

    assert _note(connected, claim, "kept")["Idempotent-Replayed"] == "true"
    again = _note(connected, claim, "purged")
    assert again.status_code == 201 and not again.has_header("Idempotent-Replayed")
    assert ClaimNote.objects.filter(claim=claim).count() == 3


def test_the_purge_runs_daily_from_beat():
    (entry,) = [
        entry
        for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == api_tasks.idempotent_requests_purge.name
    ]
    assert entry["schedule"].is_due(timezone.now() - datetime.timedelta(days=1)).is_due


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_worker_purges_old_keys(celery_worker, insurer):
    connected = connect(insurer)
    now = timezone.now()
    for key, days in (("old", django_settings.API_IDEMPOTENCY_DAYS + 1), ("recent", 1)):
        IdempotentRequest.objects.create(
            client=connected.client,
            key=key,
            method="POST",
            path="/api/v1/claims/",
            body_sha256="0" * 64,
            created_at=now - datetime.timedelta(days=days),
        )

    api_tasks.idempotent_requests_purge.delay()

    deadline = time.monotonic() + 60
    while IdempotentRequest.objects.filter(key="old").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["recent"]
