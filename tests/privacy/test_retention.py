"""The retention run (privacy/retention.py): with the clock fixed, claims ten years past their end
are anonymised, their documents' every stored version deleted on the real S3 server, the
dashboards' figures unchanged; held claims are left whole; a second run does nothing."""

import datetime
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from documents.models import Document
from intake.models import Authority, ClaimMessage, ClaimStatusChange
from notifications.models import Notification, State
from portal.models import AuditAction, AuditEvent, User
from privacy import retention
from privacy.holds import legal_hold_lift, legal_hold_place
from privacy.retention_models import AnonymisedClaim
from privacy.retention_objects import object_versions_count
from privacy.retention_tasks import retention_run_task
from resolution.models import BankDetails, Offer, Review, Settlement
from tests.factories import AdministratorFactory, AuthorityFactory
from tests.privacy.retention_helpers import (
    NOW,
    dashboard_totals,
    ended_claim,
    stored_document,
    versioned_bucket,  # noqa: F401 - a fixture
)
from triage.models import ClaimNote

pytestmark = pytest.mark.django_db

TEN_YEARS_AND_A_DAY_AGO = NOW - datetime.timedelta(days=3653 + 1)
NINE_YEARS_AGO = NOW - datetime.timedelta(days=9 * 365)


def test_a_claim_ten_years_after_it_ended_is_anonymised_and_its_objects_are_gone(
    versioned_bucket,  # noqa: F811
):
    claim = ended_claim(ended_at=TEN_YEARS_AND_A_DAY_AGO, documents=2)
    claimant = claim.claimant
    keys = list(claim.documents.values_list("storage_key", flat=True))
    assert all(object_versions_count(key) == 3 for key in keys)  # 2 clean + 1 quarantined
    before = dashboard_totals()

    # The clock is fixed by passing `now`: moving the process's clock would make the S3 server
    # refuse the requests' signatures as skewed.
    run = retention.retention_run(now=NOW)

    assert run.anonymised == 1
    assert run.documents_deleted == 2
    assert run.object_versions_deleted == 6
    assert all(object_versions_count(key) == 0 for key in keys)
    claim.refresh_from_db()
    assert (claim.phone, claim.address, claim.nhs_number) == ("", "", "")
    assert claim.date_of_birth is None
    assert (claim.description, claim.injuries) == ("", "")
    assert claim.claimant.email == retention.PLACEHOLDER_EMAIL
    assert not Document.objects.filter(claim=claim).exists()
    assert set(ClaimMessage.objects.filter(claim=claim).values_list("body", flat=True)) == {""}
    assert not ClaimMessage.objects.filter(claim=claim, author=claimant).exists()
    assert set(ClaimNote.objects.filter(claim=claim).values_list("body", flat=True)) == {""}
    assert set(ClaimStatusChange.objects.filter(claim=claim).values_list("reason", flat=True)) == {
        ""
    }
    offer = Offer.objects.get(claim=claim)
    assert (offer.terms, offer.answer_reasons, offer.answered_by) == ("", "", claim.claimant)
    assert not BankDetails.objects.filter(claim=claim).exists()
    assert Settlement.objects.get(claim=claim).agreed_by == claim.claimant
    # The statistics stay.
    assert dashboard_totals() == before
    assert (claim.harm_category, claim.severity, claim.status) == ("surgical", "severe", "closed")
    # The former claimant had no other claim: their account is emptied too.
    claimant.refresh_from_db()
    assert claimant.full_name == "" and claimant.email.endswith("@invalid")
    assert not claimant.is_active and not claimant.has_usable_password()
    # One audit row for the claim, one for the run, neither with personal data.
    row = AuditEvent.objects.get(object_type="intake.claim", object_id=str(claim.pk))
    assert row.action == AuditAction.CHANGE and row.detail["anonymised"] is True
    summary = AuditEvent.objects.get(object_type="privacy.retention_run")
    assert summary.detail["anonymised"] == 1


def test_a_claim_nine_years_after_it_ended_is_kept(versioned_bucket):  # noqa: F811
    claim = ended_claim(ended_at=NINE_YEARS_AGO, documents=1)

    run = retention.retention_run(now=NOW)

    assert run.anonymised == 0
    claim.refresh_from_db()
    assert claim.phone == "07700 900123"
    assert object_versions_count(claim.documents.get().storage_key) == 3


def test_a_held_claim_is_kept_whole_and_is_anonymised_on_the_run_after_the_hold_is_lifted(
    versioned_bucket,  # noqa: F811
):
    admin = AdministratorFactory()
    claim = ended_claim(ended_at=TEN_YEARS_AND_A_DAY_AGO, documents=1)
    key = claim.documents.get().storage_key
    hold = legal_hold_place(actor=admin, claim=claim, reason="Clinical negligence action")

    held_run = retention.retention_run(now=NOW)

    assert held_run.anonymised == 0 and held_run.kept_under_hold == 1
    claim.refresh_from_db()
    assert claim.description == "The surgeon left a swab inside me."
    assert Document.objects.filter(claim=claim).count() == 1
    assert object_versions_count(key) == 3

    legal_hold_lift(actor=admin, hold=hold, reason="The action was discontinued.")
    lifted_run = retention.retention_run(now=NOW)

    assert lifted_run.anonymised == 1
    assert object_versions_count(key) == 0
    assert AnonymisedClaim.objects.filter(claim=claim).exists()


def test_a_hold_on_the_patient_keeps_every_claim_of_theirs(versioned_bucket):  # noqa: F811
    admin = AdministratorFactory()
    first = ended_claim(ended_at=TEN_YEARS_AND_A_DAY_AGO)
    second = ended_claim(ended_at=TEN_YEARS_AND_A_DAY_AGO, claimant=first.claimant)
    legal_hold_place(actor=admin, patient=first.claimant, reason="Inquest")

    run = retention.retention_run(now=NOW)

    assert run.anonymised == 0 and run.kept_under_hold == 2
    assert not AnonymisedClaim.objects.filter(claim__in=[first, second]).exists()


def test_a_second_run_does_nothing(versioned_bucket):  # noqa: F811
    claim = ended_claim(ended_at=TEN_YEARS_AND_A_DAY_AGO, documents=1)
    retention.retention_run(now=NOW)
    claim.refresh_from_db()
    after_first = (claim.claimant_id, claim.updated_at, dashboard_totals())

    again = retention.retention_run(now=NOW)

    assert again.anonymised == 0 and again.batches == 0 and again.object_versions_deleted == 0
    claim.refresh_from_db()
    assert (claim.claimant_id, claim.updated_at, dashboard_totals()) == after_first
    assert (
        AuditEvent.objects.filter(object_id=str(claim.pk), action=AuditAction.CHANGE).count() == 1
    )


def test_a_claimant_with_another_claim_keeps_their_account(versioned_bucket):  # noqa: F811
    old = ended_claim(ended_at=TEN_YEARS_AND_A_DAY_AGO)
    ended_claim(ended_at=NINE_YEARS_AGO, claimant=old.claimant)

    retention.retention_run(now=NOW)

    claimant = User.objects.get(pk=old.claimant_id)
    assert claimant.is_active and claimant.full_name


def test_batches_cover_every_claim_due(versioned_bucket, settings):  # noqa: F811
    settings.PRIVACY_ANONYMISE_BATCH_SIZE = 2
    for _number in range(5):
        ended_claim(ended_at=TEN_YEARS_AND_A_DAY_AGO)

    run = retention.retention_run(now=NOW)

    assert (run.anonymised, run.batches) == (5, 3)


def test_a_batch_takes_the_same_queries_for_one_claim_as_for_four(versioned_bucket):  # noqa: F811
    for _number in range(6):
        ended_claim(ended_at=TEN_YEARS_AND_A_DAY_AGO, documents=1)
    # The first batch ever also makes the placeholder claimant.
    retention.claims_anonymise_batch(now=NOW, size=1)

    with CaptureQueriesContext(connection) as one:
        retention.claims_anonymise_batch(now=NOW, size=1)
    with CaptureQueriesContext(connection) as four:
        retention.claims_anonymise_batch(now=NOW, size=4)

    assert len(one) == len(four)
    assert AnonymisedClaim.objects.count() == 6


def test_the_authorities_and_notifications_of_an_anonymised_claim_go(
    versioned_bucket,  # noqa: F811
):
    claim = ended_claim(ended_at=TEN_YEARS_AND_A_DAY_AGO)
    AuthorityFactory(patient=claim.claimant, claim=claim)
    Notification.objects.create(
        recipient=claim.claimant,
        channel="in_app",
        kind="claim_closed",
        title="Your claim is closed",
        claim=claim,
        state=State.READ,
        idempotency_key=f"closed:{claim.pk}",
    )

    retention.retention_run(now=NOW)

    assert not Authority.objects.filter(claim=claim).exists()
    assert not Notification.objects.filter(claim=claim).exists()
    assert not Review.objects.filter(claim=claim).exclude(reasons="").exists()


def test_notification_rows_older_than_two_years_are_deleted_unless_still_to_send(
    versioned_bucket,  # noqa: F811
):
    claim = ended_claim(ended_at=NINE_YEARS_AGO)
    old = NOW - datetime.timedelta(days=731)

    def row(key, state, created_at):
        return Notification.objects.create(
            recipient=claim.claimant,
            channel="email",
            kind="claim_closed",
            title="Your claim is closed",
            claim=claim,
            state=state,
            idempotency_key=key,
            created_at=created_at,
        )

    sent_long_ago = row("a", State.SENT, old)
    pending_long_ago = row("b", State.PENDING, old)
    sent_lately = row("c", State.SENT, NOW - datetime.timedelta(days=30))

    run = retention.retention_run(now=NOW)

    assert run.notifications_deleted == 1
    remaining = set(Notification.objects.values_list("pk", flat=True))
    assert remaining == {pending_long_ago.pk, sent_lately.pk}
    assert sent_long_ago.pk not in remaining


def test_the_log_line_names_no_one(versioned_bucket, caplog):  # noqa: F811
    claim = ended_claim(ended_at=TEN_YEARS_AND_A_DAY_AGO, documents=1)
    stored_document(claim)
    with caplog.at_level("INFO", logger="privacy.retention"):
        retention.retention_run(now=NOW)

    text = caplog.text
    assert "1 claim(s) anonymised" in text
    for personal in ("07700", "Leeds", "swab", str(claim.pk), claim.reference):
        assert personal not in text


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_daily_task_anonymises_in_a_real_worker(celery_worker):
    """The beat entry's task, through the broker, on today's clock: a claim that ended eleven
    years ago is anonymised by the session's worker."""
    claim = ended_claim(ended_at=timezone.now() - datetime.timedelta(days=11 * 366))

    retention_run_task.delay()

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not AnonymisedClaim.objects.filter(claim=claim).exists():
        time.sleep(0.2)
    assert AnonymisedClaim.objects.filter(claim=claim).exists(), "the worker did not run the task"
    claim.refresh_from_db()
    assert claim.description == ""
