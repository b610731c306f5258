"""Stale drafts: a reminder with the deletion date, then deletion with notice; no health details."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from intake.models import Claim
from intake.services import claim_draft_start, claim_draft_update, drafts_remind_and_purge
from intake.tasks import drafts_remind_and_purge_task
from portal.models import AuditAction, AuditEvent
from tests.factories import UserFactory

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

    assert run(timezone.now()) == (1, 0)
    assert run(timezone.now()) == (0, 0)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [draft.claimant.email]
    deletion = (timezone.now() + timedelta(days=60 - 14)).date()
    assert f"{deletion.day} {deletion:%B %Y}" in message.body
    assert HEALTH_DETAIL not in message.body + message.subject
    assert "sepsis" not in message.body + message.subject


def test_a_fresh_draft_is_left_alone(draft, run):
    _age(draft, 3)

    assert run(timezone.now()) == (0, 0)
    assert mail.outbox == []


def test_a_reminded_draft_untouched_until_the_date_given_is_deleted_with_notice(draft, run):
    _age(draft, 15)
    run(timezone.now())

    assert run(timezone.now() + timedelta(days=45)) == (0, 0)
    assert run(timezone.now() + timedelta(days=47)) == (0, 1)

    assert not Claim.objects.filter(pk=draft.pk).exists()
    assert "deleted" in mail.outbox[-1].subject
    assert HEALTH_DETAIL not in mail.outbox[-1].body
    assert AuditEvent.objects.filter(action=AuditAction.DELETE, object_id=str(draft.pk)).exists()


def test_a_draft_is_never_deleted_without_a_reminder_first(draft, run):
    _age(draft, 61)

    assert run(timezone.now()) == (1, 0)
    assert Claim.objects.filter(pk=draft.pk).exists()


def test_touching_a_reminded_draft_starts_a_new_stale_spell(draft, run):
    _age(draft, 15)
    run(timezone.now())

    claim_draft_update(claim=Claim.objects.get(pk=draft.pk), user=draft.claimant, changes={})
    _age(draft, 61)

    assert run(timezone.now()) == (1, 0)
    assert Claim.objects.filter(pk=draft.pk).exists()


def test_the_periodic_task_reports_what_it_did(draft, run):
    _age(draft, 15)

    assert drafts_remind_and_purge_task.apply().get() == {"reminded": 1, "purged": 0}
