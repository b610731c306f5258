"""What notification emails say, and their delivery through a real SMTP server (aiosmtpd): a
message read back from the server, a refused address (550) failing at once, a busy server (451)
retried and then failed, and an administrator's retry."""

import pytest
from django.db import transaction

from notifications import delivery, emails, outbox
from notifications.delivery import Outcome
from notifications.events import EVENTS
from notifications.models import Channel, Notification, State
from portal.models import Role
from tests.factories import AdministratorFactory
from tests.notifications.conftest import SECRETS
from tests.notifications.smtp import smtp_server
from tests.portal.test_selectors import _signed_in

pytestmark = pytest.mark.django_db


def _recipient_for(audience: str, world):
    return {
        "patient": world.patient,
        "named": world.patient,
        "advocate": world.patient,
        "adjuster": world.adjuster,
        "triage_leads": world.lead,
    }[audience]


def test_no_email_of_any_event_repeats_the_claims_details(world):
    rendered = 0
    for kind, event in EVENTS.items():
        for audience, title in event.titles.items():
            recipient = _recipient_for(audience, world)
            notification = Notification(
                recipient=recipient,
                channel=Channel.EMAIL,
                kind=kind,
                title=str(title),
                claim=world.claim,
                state=State.PENDING,
                idempotency_key=f"{kind}:{audience}",
            )
            message = emails.notification_email(notification)
            html = message.alternatives[0][0]
            for words in SECRETS:
                assert words not in message.subject, (kind, audience, words)
                assert words not in message.body, (kind, audience, words)
                assert words not in html, (kind, audience, words)
            assert world.claim.reference in message.subject
            assert world.claim.reference in message.body
            assert str(title) in message.body
            assert "/accounts/login/?next=" in message.body
            assert message.to == [recipient.email]
            rendered += 1
    assert rendered >= len(EVENTS)


def test_the_sign_in_link_leads_staff_to_their_claim_page_and_patients_to_their_case(world):
    def link(user):
        notification = Notification(
            recipient=user, channel=Channel.EMAIL, kind="claim_assigned", title="t",
            claim=world.claim, idempotency_key="k",
        )  # fmt: skip
        return emails.notification_email(notification).body

    assert f"next=%2Fwork%2Fclaims%2F{world.claim.pk}%2F" in link(world.adjuster)
    assert f"next=%2Fclaims%2F{world.claim.pk}%2F" in link(world.patient)
    assert world.patient.role == Role.PATIENT


# --- A real SMTP server -------------------------------------------------------------------------


@pytest.fixture
def smtp(settings):
    with smtp_server(settings) as handler:
        yield handler


def _one_pending_email(world, settings) -> Notification:
    settings.NOTIFICATIONS_DELIVER_IN_PROCESS = False
    with transaction.atomic():
        outbox.notification_create_for_event(
            kind="claim_acknowledged", claim=world.claim, event_key="smtp:1"
        )
    return Notification.objects.get(channel=Channel.EMAIL)


def test_an_email_goes_through_a_real_smtp_server_and_reads_back(world, settings, smtp):
    notification = _one_pending_email(world, settings)

    result = delivery.notification_dispatch(notification_id=notification.pk)

    assert result.outcome == Outcome.SENT
    [message] = smtp.messages
    assert message["To"] == world.patient.email
    assert message["Subject"] == (
        f"[Claim portal] {world.claim.reference}: Your claim has been acknowledged"
    )
    assert message["Message-ID"]
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert world.claim.reference in plain
    assert f"/accounts/login/?next=%2Fclaims%2F{world.claim.pk}%2F" in plain
    assert '<html lang="en-GB">' in html
    for words in SECRETS:
        assert words not in plain and words not in html
    notification.refresh_from_db()
    assert notification.state == State.SENT


def test_a_refused_address_fails_at_once_for_an_administrator_to_see(world, settings, smtp):
    smtp.refuse = "550 5.1.1 No such mailbox"
    notification = _one_pending_email(world, settings)

    result = delivery.notification_dispatch(notification_id=notification.pk)

    assert result.outcome == Outcome.FAILED
    notification.refresh_from_db()
    assert (notification.state, notification.attempts) == (State.FAILED, 1)
    assert "550" in notification.last_error
    assert smtp.messages == []

    admin = AdministratorFactory()
    client = _signed_in(admin)
    page = client.get("/admin/notifications/notification/?state=failed").content.decode()
    assert "550 5.1.1 No such mailbox" in page


def test_a_busy_server_is_retried_with_backoff_then_the_email_fails(world, settings, smtp):
    smtp.refuse = "451 4.3.0 Try again later"
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    notification = _one_pending_email(world, settings)

    first = delivery.notification_dispatch(notification_id=notification.pk)

    assert first.outcome == Outcome.RETRY
    assert first.retry_in == settings.NOTIFICATION_RETRY_BASE_SECONDS
    notification.refresh_from_db()
    assert (notification.state, notification.attempts) == (State.PENDING, 1)
    assert "451" in notification.last_error
    assert notification.next_attempt_at > notification.created_at

    # The task retries (eagerly here) until the attempts run out.
    from notifications.tasks import notification_dispatch

    notification_dispatch.apply(args=[notification.pk])

    notification.refresh_from_db()
    assert (notification.state, notification.attempts) == (State.FAILED, 3)
    assert smtp.attempts == 3
    assert smtp.messages == []


def test_an_administrator_sends_a_failed_email_again(
    world, settings, smtp, django_capture_on_commit_callbacks
):
    smtp.refuse = "550 5.1.1 No such mailbox"
    notification = _one_pending_email(world, settings)
    delivery.notification_dispatch(notification_id=notification.pk)
    smtp.refuse = None  # the address was corrected
    settings.NOTIFICATIONS_DELIVER_IN_PROCESS = True
    client = _signed_in(AdministratorFactory())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/notifications/notification/",
            {"action": "retry", "_selected_action": [notification.pk]},
        )

    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.state == State.SENT
    assert len(smtp.messages) == 1


def test_a_batch_shares_one_connection_and_a_refused_address_fails_alone(world, settings, smtp):
    settings.NOTIFICATIONS_DELIVER_IN_PROCESS = False
    with transaction.atomic():
        outbox.notification_create_for_event(
            kind="message_received", claim=world.claim, event_key="batch:1"
        )
        outbox.notification_create_for_event(
            kind="claim_overdue", claim=world.claim, event_key="batch:2"
        )
    ids = list(
        Notification.objects.filter(channel=Channel.EMAIL)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    refused = Notification.objects.get(pk=ids[0]).recipient.email
    smtp.refuse_only = refused

    results = delivery.notifications_dispatch_batch(notification_ids=ids + ids)

    states = dict(Notification.objects.filter(pk__in=ids).values_list("recipient__email", "state"))
    assert states.pop(refused) == State.FAILED
    assert set(states.values()) == {State.SENT}
    assert sorted(m["To"] for m in smtp.messages) == sorted(states)  # each once, despite the repeat
    assert results[ids[0]].outcome == Outcome.SKIPPED  # the repeat of a failed row


def test_a_busy_answer_in_a_batch_retries_that_email_alone_later(world, settings, smtp):
    settings.NOTIFICATIONS_DELIVER_IN_PROCESS = False
    with transaction.atomic():
        outbox.notification_create_for_event(
            kind="message_received", claim=world.claim, event_key="busy:1"
        )
        outbox.notification_create_for_event(
            kind="claim_overdue", claim=world.claim, event_key="busy:2"
        )
    ids = list(
        Notification.objects.filter(channel=Channel.EMAIL)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    busy = Notification.objects.get(pk=ids[0])
    smtp.busy_only = busy.recipient.email

    results = delivery.notifications_dispatch_batch(notification_ids=ids)

    assert results[busy.pk].outcome == Outcome.RETRY
    assert results[busy.pk].retry_in == settings.NOTIFICATION_RETRY_BASE_SECONDS
    assert {results[pk].outcome for pk in ids[1:]} == {Outcome.SENT}
    busy.refresh_from_db()
    assert (busy.state, busy.attempts) == (State.PENDING, 1)
    assert "451" in busy.last_error
    assert busy.next_attempt_at > busy.created_at  # the sweeper leaves it to the retry
    assert busy.recipient.email not in [m["To"] for m in smtp.messages]
    assert len(smtp.messages) == len(ids) - 1

    smtp.busy_only = None  # the retry, once the server has room
    assert delivery.notification_dispatch(notification_id=busy.pk).outcome == Outcome.SENT
    busy.refresh_from_db()
    assert (busy.state, busy.attempts, busy.last_error) == (State.SENT, 2, "")
    assert [m["To"] for m in smtp.messages].count(busy.recipient.email) == 1
