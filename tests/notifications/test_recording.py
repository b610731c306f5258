"""An email that has gone is recorded as sent even when the database refuses the first tries, and
is never sent again for it: the database really fails (a trigger raising a serialization failure,
the connection terminated by the server after the send), and a real SMTP server counts what
arrives."""

import datetime
import logging
import time

import psycopg
import pytest
from celery.signals import after_task_publish
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from notifications import delivery, recording, tasks
from notifications.delivery import Outcome
from notifications.models import Channel, Notification, State
from tests.notifications.conftest import make_world
from tests.notifications.smtp import smtp_server
from tests.worker import database_url

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="faults made in PostgreSQL"),
]


@pytest.fixture
def smtp(settings):
    with smtp_server(settings) as handler:
        yield handler


@pytest.fixture
def refuse_records():
    """`refuse_records(n)`: the database refuses the next `n` updates that mark a notification
    sent, as PostgreSQL does a transaction that lost a serialization race. A sequence counts
    them, as it is not rolled back with the refused statement."""

    def install(times: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("CREATE SEQUENCE test_refused_records")
            cursor.execute(f"""
                CREATE FUNCTION test_refuse_record() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.state = 'sent' AND OLD.state <> 'sent' THEN
                        IF nextval('test_refused_records') <= {int(times)} THEN
                            RAISE EXCEPTION 'could not serialize access due to concurrent update'
                                USING ERRCODE = 'serialization_failure';
                        END IF;
                    END IF;
                    RETURN NEW;
                END $$""")  # noqa: S608 - an int
            cursor.execute(
                "CREATE TRIGGER test_refuse_record BEFORE UPDATE ON notifications_notification "
                "FOR EACH ROW EXECUTE FUNCTION test_refuse_record()"
            )

    yield install
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS test_refuse_record ON notifications_notification")
        cursor.execute("DROP FUNCTION IF EXISTS test_refuse_record()")
        cursor.execute("DROP SEQUENCE IF EXISTS test_refused_records")


def _pending_email() -> Notification:
    world = make_world()
    return Notification.objects.create(
        recipient=world.patient,
        channel=Channel.EMAIL,
        kind="claim_acknowledged",
        title="Your claim has been acknowledged",
        claim=world.claim,
        state=State.PENDING,
        idempotency_key=f"record-fault:{world.claim.pk}",
    )


def _nothing_more_is_sent(notification: Notification, smtp) -> None:
    """A redelivered task and every later sweep find the email sent, and send nothing."""
    assert delivery.notification_dispatch(notification_id=notification.pk).outcome == (
        Outcome.SKIPPED
    )
    later = timezone.now() + datetime.timedelta(days=1)
    assert delivery.notifications_sweep_undelivered(now=later) == 0
    assert delivery.notifications_sweep_undelivered(now=later + datetime.timedelta(days=1)) == 0
    assert len(smtp.messages) == 1


def test_a_record_the_database_refuses_twice_is_retried_and_the_email_goes_once(
    smtp, refuse_records, caplog
):
    notification = _pending_email()
    refuse_records(2)

    with caplog.at_level(logging.WARNING, logger="notifications.recording"):
        result = delivery.notification_dispatch(notification_id=notification.pk)

    assert result.outcome == Outcome.SENT
    assert len(smtp.messages) == 1
    assert sum("Could not record" in r.message for r in caplog.records) == 2  # the fault was real
    notification.refresh_from_db()
    assert (notification.state, notification.attempts) == (State.SENT, 1)
    assert notification.sent_at is not None
    _nothing_more_is_sent(notification, smtp)


def _terminate_backend(pid: int) -> None:
    """What a restarted or failed-over database does to a connection: the server ends it."""
    with psycopg.connect(database_url(connection.settings_dict), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # gone, before the client hears the mail accepted
            if not other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                return
            time.sleep(0.02)
    raise AssertionError(f"PostgreSQL backend {pid} was not terminated.")


def test_a_connection_the_server_drops_after_the_send_is_replaced_and_the_email_goes_once(
    smtp, caplog
):
    notification = _pending_email()
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    smtp.on_data = lambda _message: _terminate_backend(pid)

    with caplog.at_level(logging.WARNING, logger="notifications.recording"):
        result = delivery.notification_dispatch(notification_id=notification.pk)

    assert result.outcome == Outcome.SENT
    assert len(smtp.messages) == 1
    assert any("Could not record" in r.message for r in caplog.records)  # the fault was real
    assert connection.connection.info.backend_pid != pid  # a new connection wrote the record
    notification.refresh_from_db()
    assert (notification.state, notification.attempts) == (State.SENT, 1)
    smtp.on_data = None
    _nothing_more_is_sent(notification, smtp)


def test_an_email_whose_record_is_still_refused_is_not_sent_again_while_it_waits(
    smtp, refuse_records
):
    notification = _pending_email()
    refuse_records(recording.WRITE_ATTEMPTS)  # every try of the worker's own
    published = []

    def note_published(sender=None, **_kwargs):
        published.append(sender)

    # Observed as it leaves for the broker: a worker of another test may take it off the queue.
    after_task_publish.connect(note_published, weak=False)
    try:
        result = delivery.notification_dispatch(notification_id=notification.pk)
    finally:
        after_task_publish.disconnect(note_published)

    assert result.outcome == Outcome.SENT
    notification.refresh_from_db()
    assert notification.state == State.SENDING  # "taken, not yet reported on"
    # A redelivered task and the sweeper within its grace period leave it alone.
    assert delivery.notification_dispatch(notification_id=notification.pk).outcome == (
        Outcome.SKIPPED
    )
    assert (
        delivery.notifications_sweep_undelivered(now=timezone.now() + datetime.timedelta(minutes=1))
        == 0
    )
    notification.refresh_from_db()
    assert notification.state == State.SENDING
    assert len(smtp.messages) == 1
    # The record was handed to the broker, for a worker to retry; here run in this process, once
    # the database answers.
    assert published == ["notifications.tasks.notifications_record_sent"]
    sent_at = timezone.now()
    assert delivery.notifications_mark_sent(notification_ids=[notification.pk], sent_at=sent_at)
    notification.refresh_from_db()
    assert notification.state == State.SENT
    _nothing_more_is_sent(notification, smtp)


def _failing_write(errcode: str, tries: list[int]):
    """A write the database refuses with `errcode`, counting its tries."""

    def write() -> None:
        tries.append(1)
        with connection.cursor() as cursor:
            cursor.execute(
                f"DO $$ BEGIN RAISE EXCEPTION 'refused' USING ERRCODE = '{errcode}'; END $$"
            )

    return write


def test_a_write_inside_a_callers_transaction_is_tried_once_and_its_error_rises():
    # A serialization failure cannot be mended within the transaction it broke.
    tries: list[int] = []
    with pytest.raises(OperationalError), transaction.atomic():
        recording.write_with_retry(_failing_write("40001", tries), what="a test write")
    assert len(tries) == 1


def test_an_error_no_retry_mends_is_not_tried_again(caplog):
    # A cancelled statement arrives as an OperationalError too, but is not a passing one.
    tries: list[int] = []
    with caplog.at_level(logging.WARNING, logger="notifications.recording"):
        written = recording.write_with_retry(_failing_write("57014", tries), what="a test write")
    assert written is False
    assert len(tries) == 1
    assert not any("trying again" in r.message for r in caplog.records)


def test_the_record_task_does_not_retry_an_error_no_retry_mends(monkeypatch):
    def refuse(**_kwargs):
        _failing_write("57014", [])()

    monkeypatch.setattr(delivery, "notifications_mark_sent", refuse)
    result = tasks.notifications_record_sent.apply(args=[[1], timezone.now().isoformat()])
    assert isinstance(result.result, OperationalError)
    assert result.state == "FAILURE"
