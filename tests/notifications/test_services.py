"""The outbox: rows made with the change, for the right people, by their preferences; delivery
once per row; the sweeper, the digest, read marks."""

import datetime
import threading
import time

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone

from documents.models import Document, ScanStatus
from intake.models import ClaimStatus
from intake.services import (
    claim_answer_information_request,
    claim_message_send,
    claim_transition,
)
from notifications import delivery, digests, outbox, services
from notifications.delivery import Outcome
from notifications.models import Channel, EmailDigest, Notification, NotificationPreference, State
from portal.models import AuditAction, AuditEvent
from tests.factories import AdjusterFactory, TriageLeadFactory, UserFactory
from tests.notifications.conftest import SECRETS, make_world
from tests.queries import queries_during
from tests.threads import in_thread, sessions_waiting_on_a_lock
from triage.services import claim_request_information

pytestmark = pytest.mark.django_db
S = ClaimStatus
LOCK_TIMEOUT = 30


def _rows(**filters) -> list[tuple]:
    return sorted(
        Notification.objects.filter(**filters).values_list("recipient_id", "channel", "kind")
    )


def _acknowledge(world, capture):
    with capture(execute=True):
        claim_transition(claim=world.claim, to_status=S.UNDER_REVIEW, actor=world.adjuster)


def test_a_status_change_tells_the_patient_in_the_portal_and_by_email_not_the_actor(
    world, django_capture_on_commit_callbacks
):
    _acknowledge(world, django_capture_on_commit_callbacks)

    assert _rows() == [
        (world.patient.pk, Channel.EMAIL, "claim_acknowledged"),
        (world.patient.pk, Channel.IN_APP, "claim_acknowledged"),
    ]
    [email] = mail.outbox
    assert email.to == [world.patient.email]
    assert world.claim.reference in email.subject
    assert "acknowledged" in email.subject
    assert Notification.objects.get(channel=Channel.EMAIL).state == State.SENT


def test_the_rows_are_rolled_back_with_the_change(world, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        claim_transition(claim=world.claim, to_status=S.UNDER_REVIEW, actor=world.adjuster)
        raise RuntimeError("the request failed after the change")

    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_the_rows_exist_before_commit_and_the_email_waits_for_it(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        claim_transition(claim=world.claim, to_status=S.UNDER_REVIEW, actor=world.adjuster)
        assert Notification.objects.filter(recipient=world.patient).count() == 2

    assert mail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1


def test_nobody_who_may_not_see_the_claim_is_told(db, django_capture_on_commit_callbacks):
    world = make_world(S.UNDER_REVIEW)
    # An adjuster of another insurer wrongly left on the claim cannot see it: not told.
    stranger = AdjusterFactory()
    type(world.claim).objects.filter(pk=world.claim.pk).update(assigned_adjuster=stranger)
    world.refresh()
    TriageLeadFactory()  # a lead of another insurer

    with django_capture_on_commit_callbacks(execute=True):
        claim_message_send(claim=world.claim, author=world.lead, body="Any news?")
        outbox.notification_create_for_alert(kind="claim_overdue", claim=world.claim)

    recipients = {row[0] for row in _rows()}
    assert recipients == {world.patient.pk, world.lead.pk}
    assert stranger.pk not in recipients
    assert {m.to[0] for m in mail.outbox} == {world.patient.email, world.lead.email}


def test_an_escalation_tells_only_the_triage_leads_of_the_claims_insurer(
    world, django_capture_on_commit_callbacks
):
    other_lead = TriageLeadFactory(insurer=world.claim.insurer)
    TriageLeadFactory()  # another insurer's

    with django_capture_on_commit_callbacks(execute=True):
        outbox.notification_create_for_alert(kind="claim_escalated", claim=world.claim)

    assert {row[0] for row in _rows()} == {world.lead.pk, other_lead.pk}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.lead.email, other_lead.email])


def test_a_patient_who_switched_an_event_off_gets_no_email_of_it(
    world, django_capture_on_commit_callbacks
):
    NotificationPreference.objects.create(
        user=world.patient, kind="claim_acknowledged", channel=Channel.EMAIL, enabled=False
    )

    _acknowledge(world, django_capture_on_commit_callbacks)

    assert _rows() == [(world.patient.pk, Channel.IN_APP, "claim_acknowledged")]
    assert mail.outbox == []


def test_information_requests_reach_the_patient_whatever_their_preferences(
    db, django_capture_on_commit_callbacks
):
    world = make_world(S.UNDER_REVIEW)
    for channel in Channel.values:
        NotificationPreference.objects.create(
            user=world.patient, kind="information_requested", channel=channel, enabled=False
        )

    with django_capture_on_commit_callbacks(execute=True):
        claim_request_information(
            claim=world.claim,
            adjuster=world.adjuster,
            body="Please send the letter.",
            due_date=timezone.localdate() + datetime.timedelta(days=14),
        )

    # One event, not also a "new message" for the same request.
    assert _rows() == [
        (world.patient.pk, Channel.EMAIL, "information_requested"),
        (world.patient.pk, Channel.IN_APP, "information_requested"),
    ]
    assert [m.to for m in mail.outbox] == [[world.patient.email]]


@pytest.mark.parametrize(
    ("status", "to_status", "kind"),
    [
        (S.UNDER_REVIEW, S.OFFER_MADE, "offer_made"),
        (S.UNDER_REVIEW, S.DENIED, "claim_denied"),
        # The insurer accepts the patient's counter-proposal.
        (S.COUNTER_PROPOSED, S.SETTLED, "claim_settled"),
    ],
)
def test_decisions_reach_the_patient_even_with_everything_switched_off(
    db, django_capture_on_commit_callbacks, status, to_status, kind
):
    world = make_world(status)
    for channel in Channel.values:
        NotificationPreference.objects.create(
            user=world.patient, kind=kind, channel=channel, enabled=False
        )

    with django_capture_on_commit_callbacks(execute=True):
        claim_transition(claim=world.claim, to_status=to_status, actor=world.adjuster, reason="r")

    assert _rows(recipient=world.patient) == [
        (world.patient.pk, Channel.EMAIL, kind),
        (world.patient.pk, Channel.IN_APP, kind),
    ]
    assert len(mail.outbox) == 1


def test_the_patients_answer_tells_the_adjuster_once(db, django_capture_on_commit_callbacks):
    world = make_world(S.INFORMATION_REQUESTED)

    with django_capture_on_commit_callbacks(execute=True):
        claim_answer_information_request(claim=world.claim, patient=world.patient, body="Here.")

    assert _rows() == [
        (world.adjuster.pk, Channel.EMAIL, "information_provided"),
        (world.adjuster.pk, Channel.IN_APP, "information_provided"),
    ]
    assert [m.to for m in mail.outbox] == [[world.adjuster.email]]


def test_a_message_tells_the_other_side(db, django_capture_on_commit_callbacks):
    world = make_world(S.UNDER_REVIEW)

    with django_capture_on_commit_callbacks(execute=True):
        claim_message_send(claim=world.claim, author=world.patient, body="A question")

    assert _rows() == [
        (world.adjuster.pk, Channel.EMAIL, "message_received"),
        (world.adjuster.pk, Channel.IN_APP, "message_received"),
    ]


@pytest.mark.parametrize(
    ("verdict", "kind"),
    [
        (ScanStatus.CLEAN, "document_clean"),
        (ScanStatus.INFECTED, "document_infected"),
        (ScanStatus.UNSCANNABLE, "document_unscannable"),
    ],
)
def test_the_uploader_hears_the_documents_verdict(world, verdict, kind):
    document = Document.objects.create(
        claim=world.claim,
        uploader=world.patient,
        category="other",
        original_name="discharge-letter.pdf",
        storage_key="quarantine/x",
        size=1,
        sha256="0" * 64,
        content_type="application/pdf",
        scan_status=verdict,
    )

    outbox.notification_create_for_document_verdict(document=document)
    outbox.notification_create_for_document_verdict(document=document)  # a repeat adds nothing

    assert _rows() == [
        (world.patient.pk, Channel.EMAIL, kind),
        (world.patient.pk, Channel.IN_APP, kind),
    ]
    for notification in Notification.objects.all():
        assert "discharge" not in notification.title


# --- Delivery -----------------------------------------------------------------------------------


def _pending_email(world) -> Notification:
    with transaction.atomic():
        outbox.notification_create_for_event(
            kind="claim_acknowledged", claim=world.claim, event_key="test:1"
        )
    return Notification.objects.get(channel=Channel.EMAIL)


def test_dispatching_the_same_row_twice_sends_one_email(world, settings):
    settings.NOTIFICATIONS_DELIVER_IN_PROCESS = False  # nothing queued: the test dispatches
    notification = _pending_email(world)
    Notification.objects.filter(pk=notification.pk).update(state=State.PENDING)

    first = delivery.notification_dispatch(notification_id=notification.pk)
    second = delivery.notification_dispatch(notification_id=notification.pk)

    assert (first.outcome, second.outcome) == (Outcome.SENT, Outcome.SKIPPED)
    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert (notification.state, notification.attempts) == (State.SENT, 1)
    assert notification.sent_at is not None


def test_the_same_event_recorded_twice_makes_no_new_rows(world):
    for _ in range(2):
        outbox.notification_create_for_event(
            kind="claim_acknowledged", claim=world.claim, event_key="status-change:77"
        )

    assert Notification.objects.count() == 2  # one email, one in-app


def test_the_sweeper_queues_emails_left_pending_and_only_those(world, settings):
    settings.NOTIFICATIONS_DELIVER_IN_PROCESS = False
    outbox.notification_create_for_event(
        kind="claim_acknowledged", claim=world.claim, event_key="lost:1"
    )
    outbox.notification_create_for_event(
        kind="claim_closed", claim=world.claim, event_key="recent:1"
    )
    lost = Notification.objects.get(channel=Channel.EMAIL, kind="claim_acknowledged")
    Notification.objects.filter(pk=lost.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(minutes=30)
    )
    settings.NOTIFICATIONS_DELIVER_IN_PROCESS = True

    assert delivery.notifications_sweep_undelivered() == 1
    assert delivery.notifications_sweep_undelivered() == 0

    lost.refresh_from_db()
    assert lost.state == State.SENT
    assert len(mail.outbox) == 1
    assert Notification.objects.get(channel=Channel.EMAIL, kind="claim_closed").state == (
        State.PENDING
    )


def test_the_retry_countdown_grows_and_is_capped(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 10
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 100

    assert [delivery.retry_countdown(n) for n in range(1, 7)] == [10, 20, 40, 80, 100, 100]


def _pending_emails(worlds, *, per_world: int = 1) -> list[int]:
    """Pending email rows to the patients and adjusters of `worlds` (not yet queued)."""
    now = timezone.now()
    rows = Notification.objects.bulk_create(
        Notification(
            recipient=recipient,
            channel=Channel.EMAIL,
            kind="message_received",
            title="You have a new message",
            claim=world.claim,
            state=State.PENDING,
            idempotency_key=f"delivery:{world.claim.pk}:{recipient.pk}:{n}",
            created_at=now,
            next_attempt_at=now,
        )
        for world in worlds
        for recipient in (world.patient, world.adjuster)
        for n in range(per_world)
    )
    return [row.pk for row in rows]


def test_a_batch_sends_each_email_once_with_the_same_few_queries_whatever_its_size(db):
    worlds = [make_world(S.UNDER_REVIEW) for _ in range(6)]
    small, large = _pending_emails(worlds[:1]), _pending_emails(worlds[1:], per_world=2)
    assert len(large) <= delivery.ROWS_TAKEN_AT_ONCE

    def dispatch(ids):
        return lambda: delivery.notifications_dispatch_batch(notification_ids=ids)

    queries_small, queries_large = queries_during(dispatch(small)), queries_during(dispatch(large))

    assert queries_large == queries_small  # no query per email
    rows = Notification.objects.filter(pk__in=small + large)
    assert set(rows.values_list("state", "attempts")) == {(State.SENT, 1)}
    assert not rows.filter(sent_at=None).exists()
    references = dict(rows.values_list("recipient__email", "claim__reference"))
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        rows.values_list("recipient__email", flat=True)
    )
    for message in mail.outbox:  # each names its own claim
        assert references[message.to[0]] in message.subject
    [to_adjuster] = [m for m in mail.outbox if m.to == [worlds[0].adjuster.email]]
    assert f"next=%2Fwork%2Fclaims%2F{worlds[0].claim.pk}%2F" in to_adjuster.body
    [to_patient] = [m for m in mail.outbox if m.to == [worlds[0].patient.email]]
    assert f"next=%2Fclaims%2F{worlds[0].claim.pk}%2F" in to_patient.body


class _LostAfter(locmem.EmailBackend):
    """Takes `survivors` messages, then the worker is lost (a BaseException, as when killed)."""

    survivors = 0

    def send_messages(self, messages):
        if len(mail.outbox) >= self.survivors:
            raise SystemExit("worker lost")
        return super().send_messages(messages)


class _SentThenLost(locmem.EmailBackend):
    """Delivers the message, then the worker is lost before it can record it."""

    def send_messages(self, messages):
        super().send_messages(messages)
        raise SystemExit("worker lost")


def test_emails_a_lost_worker_had_taken_wait_for_the_sweeper_and_keep_their_message_id(
    db, settings, monkeypatch
):
    ids = _pending_emails([make_world(S.UNDER_REVIEW) for _ in range(3)])  # six rows
    monkeypatch.setattr(delivery, "ROWS_TAKEN_AT_ONCE", 2)
    monkeypatch.setattr(_LostAfter, "survivors", 3)  # lost sending the fourth, in the second take
    settings.EMAIL_BACKEND = f"{__name__}._LostAfter"

    with pytest.raises(SystemExit):
        delivery.notifications_dispatch_batch(notification_ids=ids)

    states = dict(Notification.objects.filter(pk__in=ids).values_list("pk", "state"))
    # The first take was recorded; the second was taken (one of its emails went) and never
    # reported on; the third was never reached.
    assert [states[pk] for pk in ids] == [State.SENT] * 2 + [State.SENDING] * 2 + [
        State.PENDING
    ] * 2

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    delivery.notifications_dispatch_batch(notification_ids=ids)  # the task, redelivered
    assert len(mail.outbox) == 3 + 2  # the taken rows are not sent by a redelivery
    grace = datetime.timedelta(minutes=settings.NOTIFICATION_REQUEUE_MINUTES, seconds=1)
    later = timezone.now() + grace
    assert delivery.notifications_sweep_undelivered(now=later) == 0  # given back to pending
    assert delivery.notifications_sweep_undelivered(now=later + grace) == 2  # then queued

    rows = Notification.objects.filter(pk__in=ids)
    assert set(rows.values_list("state", flat=True)) == {State.SENT}
    # Only the email sent before its row could be recorded went twice, under one Message-ID.
    message_ids = [message.extra_headers["Message-ID"] for message in mail.outbox]
    assert len(message_ids) == len(ids) + 1
    assert len(set(message_ids)) == len(ids)


def test_a_worker_out_of_time_on_the_rows_it_took_gives_back_what_it_has_not_sent(db, settings):
    ids = _pending_emails([make_world(S.UNDER_REVIEW) for _ in range(2)])  # four rows
    # No grace at all: the worker is out of time once it has sent the first email it took.
    settings.NOTIFICATION_REQUEUE_MINUTES = 0

    results = delivery.notifications_dispatch_batch(notification_ids=ids)

    assert [results[pk].outcome for pk in ids] == [Outcome.SENT] + [Outcome.RETRY] * 3
    assert len(mail.outbox) == 1
    rows = dict(Notification.objects.filter(pk__in=ids).values_list("pk", "state"))
    assert [rows[pk] for pk in ids] == [State.SENT] + [State.PENDING] * 3
    assert Notification.objects.filter(pk__in=ids[1:], attempts=0).count() == 3


def test_an_email_whose_every_worker_was_lost_fails_for_an_administrator_to_see(db, settings):
    notification_id, *others = _pending_emails([make_world(S.UNDER_REVIEW)])
    Notification.objects.filter(pk__in=others).delete()
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    settings.EMAIL_BACKEND = f"{__name__}._SentThenLost"
    grace = datetime.timedelta(minutes=settings.NOTIFICATION_REQUEUE_MINUTES, seconds=1)
    now = timezone.now()
    for attempt in range(2):  # each worker lost after the send, each time taken up again
        with pytest.raises(SystemExit):
            delivery.notification_dispatch(notification_id=notification_id)
        now += grace
        delivery.notifications_sweep_undelivered(now=now)
        assert Notification.objects.get(pk=notification_id).attempts == attempt + 1

    notification = Notification.objects.get(pk=notification_id)
    assert notification.state == State.FAILED
    assert notification.last_error == delivery.WORKER_LOST_ERROR
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_an_email_another_worker_is_sending_waits_for_it_and_is_not_sent_again():
    world = make_world(S.UNDER_REVIEW)
    first, second = _pending_emails([world])
    locked, release = threading.Event(), threading.Event()

    def other_worker():  # has locked `first` and is sending it
        with transaction.atomic():
            Notification.objects.select_for_update().get(pk=first)
            locked.set()
            release.wait(LOCK_TIMEOUT)
            Notification.objects.filter(pk=first).update(state=State.SENT, attempts=1)

    other, _ = in_thread(other_worker)
    assert locked.wait(LOCK_TIMEOUT)
    this, dispatched = in_thread(
        lambda: delivery.notifications_dispatch_batch(notification_ids=[first, second])
    )
    deadline = time.monotonic() + LOCK_TIMEOUT
    while sessions_waiting_on_a_lock() == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sessions_waiting_on_a_lock() == 1
    release.set()
    other.join(LOCK_TIMEOUT)
    this.join(LOCK_TIMEOUT)

    results = dispatched["result"]
    assert (results[first].outcome, results[second].outcome) == (Outcome.SKIPPED, Outcome.SENT)
    [message] = mail.outbox
    assert message.to == [Notification.objects.get(pk=second).recipient.email]
    assert Notification.objects.get(pk=first).attempts == 1


# --- The daily digest ---------------------------------------------------------------------------


def test_an_adjuster_on_the_digest_gets_one_email_listing_the_days_events(
    db, django_capture_on_commit_callbacks
):
    first, second = make_world(S.UNDER_REVIEW), make_world(S.INFORMATION_REQUESTED)
    adjuster = first.adjuster
    type(second.claim).objects.filter(pk=second.claim.pk).update(
        assigned_adjuster=adjuster, insurer=adjuster.insurer
    )
    second.refresh()
    EmailDigest.objects.create(user=adjuster)

    with django_capture_on_commit_callbacks(execute=True):
        claim_message_send(claim=first.claim, author=first.patient, body="A question")
        claim_answer_information_request(claim=second.claim, patient=second.patient, body="Here")

    assert mail.outbox == []  # held for the digest
    assert Notification.objects.filter(recipient=adjuster, channel=Channel.IN_APP).count() == 2

    assert digests.notification_digests_send() == 1
    assert digests.notification_digests_send() == 0

    [digest] = mail.outbox
    assert digest.to == [adjuster.email]
    assert "daily summary: 2 updates" in digest.subject
    assert f"{first.claim.reference}: You have a new message on a claim" in digest.body
    assert (
        f"{second.claim.reference}: The claimant has answered your request for information"
        in digest.body
    )
    html = digest.alternatives[0][0]
    assert first.claim.reference in html and second.claim.reference in html
    for words in SECRETS + ["A question", "Here"]:
        assert words not in digest.body
        assert words not in html
    assert set(
        Notification.objects.filter(recipient=adjuster, channel=Channel.EMAIL).values_list(
            "state", flat=True
        )
    ) == {State.SENT}


def test_the_digest_never_holds_a_patients_mandatory_message(db):
    world = make_world(S.UNDER_REVIEW)
    EmailDigest.objects.create(user=world.patient)  # not offered to patients, but even so

    outbox.notification_create_for_event(kind="offer_made", claim=world.claim, event_key="offer:1")

    assert Notification.objects.get(channel=Channel.EMAIL).state != State.DIGEST


# --- Read marks ---------------------------------------------------------------------------------


def test_a_person_marks_their_own_notification_read(world, django_capture_on_commit_callbacks):
    _acknowledge(world, django_capture_on_commit_callbacks)
    entry = Notification.objects.get(channel=Channel.IN_APP)

    services.notification_mark_read(user=world.patient, notification_id=entry.pk)

    entry.refresh_from_db()
    assert entry.state == State.READ
    assert entry.read_at is not None


def test_marking_someone_elses_notification_answers_404_and_is_audited(
    world, django_capture_on_commit_callbacks
):
    _acknowledge(world, django_capture_on_commit_callbacks)
    entry = Notification.objects.get(channel=Channel.IN_APP)
    intruder = UserFactory()

    with pytest.raises(Http404):
        services.notification_mark_read(user=intruder, notification_id=entry.pk)

    entry.refresh_from_db()
    assert entry.read_at is None
    assert AuditEvent.objects.filter(
        action=AuditAction.ACCESS_REFUSED,
        actor=intruder,
        object_type="notifications.notification",
        object_id=str(entry.pk),
    ).exists()


def test_preferences_cannot_switch_off_a_mandatory_event(world):
    services.notification_preferences_save(user=world.patient, enabled=set())

    stored = set(
        NotificationPreference.objects.filter(user=world.patient).values_list("kind", flat=True)
    )
    assert "claim_acknowledged" in stored
    assert "information_requested" not in stored
    assert "offer_made" not in stored


def test_a_digest_whose_worker_was_lost_goes_again_as_it_was_with_its_message_id(
    db, settings, django_capture_on_commit_callbacks
):
    world = make_world(S.UNDER_REVIEW)
    EmailDigest.objects.create(user=world.adjuster)
    with django_capture_on_commit_callbacks(execute=True):
        claim_message_send(claim=world.claim, author=world.patient, body="A question")
    settings.EMAIL_BACKEND = f"{__name__}._SentThenLost"
    with pytest.raises(SystemExit):
        digests.notification_digests_send()
    held = Notification.objects.filter(recipient=world.adjuster, channel=Channel.EMAIL)
    assert set(held.values_list("state", flat=True)) == {State.DIGESTING}
    # Another event arrives; a run within the grace period lists it alone.
    with django_capture_on_commit_callbacks(execute=True):
        claim_message_send(claim=world.claim, author=world.patient, body="Another")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert digests.notification_digests_send() == 1

    later = timezone.now() + datetime.timedelta(minutes=settings.NOTIFICATION_REQUEUE_MINUTES + 1)
    assert digests.notification_digests_send(now=later) == 1  # the lost one, as it was
    assert digests.notification_digests_send(now=later) == 0

    lost, newer, repeat = mail.outbox
    assert repeat.extra_headers["Message-ID"] == lost.extra_headers["Message-ID"]
    assert repeat.subject == lost.subject
    assert newer.extra_headers["Message-ID"] != lost.extra_headers["Message-ID"]
    assert set(held.values_list("state", flat=True)) == {State.SENT}
