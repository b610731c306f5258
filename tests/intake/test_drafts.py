"""Stale drafts: a reminder with the deletion date, then deletion with notice; no health details."""

import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from documents import objects
from documents.models import Document
from intake.advocates import services as authorities
from intake.models import Claim
from intake.services import claim_draft_start, claim_draft_update, drafts_remind_and_purge
from intake.tasks import drafts_remind_and_purge_task
from notifications.delivery import Outcome, notification_dispatch
from notifications.emails import notification_email
from notifications.models import Channel, Notification, State
from portal.models import AuditAction, AuditEvent
from tests.documents import samples
from tests.documents.conftest import object_exists, stored
from tests.factories import AdvocateFactory, UserFactory
from tests.notifications.smtp import free_port, smtp_server

pytestmark = pytest.mark.django_db

HEALTH_DETAIL = "Perforated bowel after keyhole surgery"


@pytest.fixture
def draft():
    patient = UserFactory()
    claim = claim_draft_start(patient=patient)
    return claim_draft_update(
        claim=claim, user=patient, changes={"description": HEALTH_DETAIL, "injuries": "sepsis"}
    )


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run the service as the beat task would: emails go out once its changes are committed."""

    def run_at(now):
        with django_capture_on_commit_callbacks(execute=True):
            return drafts_remind_and_purge(now=now)

    return run_at


def _age(claim: Claim, days: int) -> None:
    Claim.objects.filter(pk=claim.pk).update(updated_at=timezone.now() - timedelta(days=days))


def test_a_stale_draft_is_reminded_once_with_its_deletion_date(draft, settings, run):
    settings.DRAFT_REMINDER_DAYS, settings.DRAFT_PURGE_DAYS = 14, 60
    _age(draft, 15)

    assert run(timezone.now()) == (1, 0, 0)
    assert run(timezone.now()) == (0, 0, 0)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [draft.claimant.email]
    deletion = (timezone.now() + timedelta(days=60 - 14)).date()
    assert f"{deletion.day} {deletion:%B %Y}" in message.body
    assert HEALTH_DETAIL not in message.body + message.subject
    assert "sepsis" not in message.body + message.subject


def test_a_fresh_draft_is_left_alone(draft, run):
    _age(draft, 3)

    assert run(timezone.now()) == (0, 0, 0)
    assert mail.outbox == []


def test_a_reminded_draft_untouched_until_the_date_given_is_deleted_with_notice(draft, run):
    _age(draft, 15)
    run(timezone.now())

    assert run(timezone.now() + timedelta(days=45)) == (0, 0, 0)
    assert run(timezone.now() + timedelta(days=47)) == (0, 1, 0)

    assert not Claim.objects.filter(pk=draft.pk).exists()
    assert "deleted" in mail.outbox[-1].subject
    assert HEALTH_DETAIL not in mail.outbox[-1].body
    assert AuditEvent.objects.filter(action=AuditAction.DELETE, object_id=str(draft.pk)).exists()


def test_a_draft_is_never_deleted_without_a_reminder_first(draft, run):
    _age(draft, 61)

    assert run(timezone.now()) == (1, 0, 0)
    assert Claim.objects.filter(pk=draft.pk).exists()


def test_touching_a_reminded_draft_starts_a_new_stale_spell(draft, run):
    _age(draft, 15)
    run(timezone.now())

    claim_draft_update(claim=Claim.objects.get(pk=draft.pk), user=draft.claimant, changes={})
    _age(draft, 61)

    assert run(timezone.now()) == (1, 0, 0)
    assert Claim.objects.filter(pk=draft.pk).exists()


def test_the_periodic_task_reports_what_it_did(draft, run):
    _age(draft, 15)

    assert drafts_remind_and_purge_task.apply().get() == {"reminded": 1, "purged": 0, "failed": 0}


def _reminded_long_ago(claim: Claim) -> None:
    Claim.objects.filter(pk=claim.pk).update(draft_reminded_at=timezone.now() - timedelta(days=90))


@pytest.fixture
def filed_on_behalf():
    """A draft an advocate started for a new patient, holding the signed authority form (in S3)."""
    advocate = AdvocateFactory(advocate_verified_at=timezone.now())
    claim = authorities.claim_start_on_behalf(
        advocate=advocate, full_name="Sam Lee", email="sam@example.org"
    )
    form = stored(claim, samples.pdf(), name="authority-form.pdf")
    Document.objects.filter(pk=form.pk).update(category="authority_form", uploader=advocate)
    yield claim, form
    objects.delete_quietly(form.storage_key)


def test_a_stale_draft_holding_an_authority_form_is_deleted_with_its_document(filed_on_behalf, run):
    claim, form = filed_on_behalf
    assert object_exists(form.storage_key)
    _reminded_long_ago(claim)

    assert run(timezone.now()) == (0, 1, 0)

    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert not Document.objects.filter(pk=form.pk).exists()
    assert not object_exists(form.storage_key)
    assert AuditEvent.objects.filter(
        action=AuditAction.DELETE, object_type="documents.document", object_id=str(form.pk)
    ).exists()
    assert "deleted" in mail.outbox[-1].subject


def test_a_draft_that_cannot_be_deleted_never_stops_the_others(draft, filed_on_behalf, run, caplog):
    claim, form = filed_on_behalf
    _reminded_long_ago(draft)
    _reminded_long_ago(claim)
    # The database itself refuses to delete the first draft, as a lock timeout or a constraint
    # added later would.
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_claim_delete() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'refused on purpose'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_claim_delete BEFORE DELETE ON intake_claim FOR EACH ROW "
            f"WHEN (OLD.id = '{draft.pk}') EXECUTE FUNCTION refuse_claim_delete()"
        )

    with caplog.at_level(logging.ERROR, logger="intake.services"):
        assert run(timezone.now()) == (0, 1, 1)

    assert Claim.objects.filter(pk=draft.pk).exists()
    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert not object_exists(form.storage_key)
    (record,) = caplog.records
    assert str(draft.pk) in record.getMessage()
    assert HEALTH_DETAIL not in caplog.text and "refused on purpose" not in caplog.text


def _outbox_row(kind: str) -> Notification:
    return Notification.objects.get(kind=kind, channel=Channel.EMAIL)


def test_a_reminder_the_mail_server_refused_is_kept_and_sent_once_it_answers(draft, settings):
    settings.DRAFT_REMINDER_DAYS, settings.DRAFT_PURGE_DAYS = 14, 60
    _age(draft, 15)
    # The mail server is down: nothing listens on its port.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    # Not committed (the test's transaction), so nothing is sent at commit: the notify worker's
    # attempts are made below, as its task and then its retry would make them.
    assert drafts_remind_and_purge(now=timezone.now()) == (1, 0, 0)
    reminder = _outbox_row("draft_reminder")

    assert notification_dispatch(notification_id=reminder.pk).outcome == Outcome.RETRY
    reminder.refresh_from_db()
    assert reminder.state == State.PENDING and reminder.attempts == 1 and reminder.last_error

    with smtp_server(settings) as server:
        assert notification_dispatch(notification_id=reminder.pk).outcome == Outcome.SENT

    (message,) = server.messages
    assert message["To"] == draft.claimant.email
    assert message["Message-ID"] == notification_email(reminder).extra_headers["Message-ID"]
    body = message.get_content()
    deletion = (timezone.now() + timedelta(days=60 - 14)).date()
    assert f"{deletion.day} {deletion:%B %Y}" in body
    assert "/dashboard/" in body
    assert HEALTH_DETAIL not in body + message["Subject"] and "sepsis" not in body
    assert _outbox_row("draft_reminder").state == State.SENT


def test_the_deletion_notice_waits_in_the_outbox_after_its_draft_is_gone(draft):
    _reminded_long_ago(draft)
    started = timezone.localdate(draft.created_at)

    # Not committed, so not sent at commit: the worker (or the sweeper) sends it below.
    assert drafts_remind_and_purge(now=timezone.now()) == (0, 1, 0)
    notice = _outbox_row("draft_purged")
    assert notice.claim is None and notice.recipient == draft.claimant

    assert notification_dispatch(notification_id=notice.pk).outcome == Outcome.SENT
    (message,) = mail.outbox
    assert "deleted" in message.subject
    assert f"{started.day} {started:%B %Y}" in message.body
    assert HEALTH_DETAIL not in message.body + message.subject


def test_a_reminder_still_waiting_when_the_patient_comes_back_is_never_sent(draft):
    _age(draft, 15)
    drafts_remind_and_purge(now=timezone.now())  # not committed: the reminder waits
    reminder = _outbox_row("draft_reminder")

    claim_draft_update(claim=Claim.objects.get(pk=draft.pk), user=draft.claimant, changes={})

    assert notification_dispatch(notification_id=reminder.pk).outcome == Outcome.SKIPPED
    assert mail.outbox == []
    assert _outbox_row("draft_reminder").state == State.WITHDRAWN
