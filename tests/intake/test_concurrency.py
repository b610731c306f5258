"""Claim references under real concurrency: many submissions at once, each in its own connection
and transaction on PostgreSQL, must get unique, consecutive numbers with no gaps."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from intake.models import Claim, ClaimStatus
from intake.services import claim_submit
from tests.factories import UserFactory, complete_draft
from tests.threads import in_thread, sessions_waiting_on_a_lock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

N = 12
TIMEOUT = 30


def _reference_numbers(count: int) -> list[str]:
    year = timezone.localdate().year
    return [f"CLM-{year}-{number:06d}" for number in range(1, count + 1)]


def _until(condition, *, timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_simultaneous_submissions_get_consecutive_references_without_gaps():
    drafts = [complete_draft(UserFactory()) for _ in range(N)]
    start = threading.Barrier(N, timeout=TIMEOUT)

    def submit(draft):
        def work():
            start.wait()
            return claim_submit(claim=Claim.objects.get(pk=draft.pk), user=draft.claimant)

        return work

    running = [in_thread(submit(draft)) for draft in drafts]
    for thread, _ in running:
        thread.join(TIMEOUT)

    assert not any(thread.is_alive() for thread, _ in running), "a submission never finished"
    errors = [outcome["error"] for _, outcome in running if "error" in outcome]
    assert errors == []
    returned = sorted(outcome["result"].reference for _, outcome in running)
    assert returned == _reference_numbers(N)
    stored = Claim.objects.filter(pk__in=[draft.pk for draft in drafts])
    assert sorted(stored.values_list("reference", flat=True)) == _reference_numbers(N)
    # Sent, every one (a worker running elsewhere in the suite may already have routed some).
    assert ClaimStatus.DRAFT not in set(stored.values_list("status", flat=True))


def test_a_submission_rolled_back_gives_its_number_to_the_next():
    patient = UserFactory()
    abandoned, kept = complete_draft(patient), complete_draft(patient)

    with pytest.raises(RuntimeError), transaction.atomic():
        claim_submit(claim=abandoned, user=patient)
        raise RuntimeError("the request failed after submitting")

    abandoned.refresh_from_db()
    assert (abandoned.status, abandoned.reference) == (ClaimStatus.DRAFT, None)
    assert claim_submit(claim=kept, user=patient).reference == _reference_numbers(1)[0]
    assert claim_submit(claim=abandoned, user=patient).reference == _reference_numbers(2)[1]


def test_a_submission_waiting_for_a_number_gets_the_one_a_rolled_back_submission_gave_back():
    first, second = complete_draft(UserFactory()), complete_draft(UserFactory())
    holding, release = threading.Event(), threading.Event()

    def submit_then_fail():
        with transaction.atomic():
            claim_submit(claim=first, user=first.claimant)
            holding.set()
            release.wait(TIMEOUT)
            raise RuntimeError("the request failed after submitting")

    failing, failed = in_thread(submit_then_fail)
    assert holding.wait(TIMEOUT), "the first submission never took its number"
    waiting, waited = in_thread(lambda: claim_submit(claim=second, user=second.claimant))
    # Let the first roll back only once the second is queued behind its lock.
    queued = _until(lambda: sessions_waiting_on_a_lock() >= 1)
    release.set()
    failing.join(TIMEOUT)
    waiting.join(TIMEOUT)

    assert queued, "the second submission did not wait for the first"
    assert isinstance(failed.get("error"), RuntimeError)
    assert "error" not in waited, waited.get("error")
    assert waited["result"].reference == _reference_numbers(1)[0]
    first.refresh_from_db()
    assert (first.status, first.reference) == (ClaimStatus.DRAFT, None)
