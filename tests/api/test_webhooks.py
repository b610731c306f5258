"""Webhooks (api/webhooks.py): every delivery verified by a real receiver with the standardwebhooks
package, the retry schedule on a fixed clock, 410, redirects, the SSRF rules, rotation, and the
outbox written in the change's transaction."""

import datetime
import json

import pytest
from django.db import transaction
from django.utils import timezone

from api.webhooks import (
    MAX_ATTEMPTS,
    RETRY_SCHEDULE,
    WebhookError,
    webhook_delivery_resend,
    webhook_endpoint_register,
    webhook_endpoint_rotate_secret,
    webhook_events_record,
    webhook_retry_delay,
    webhooks_deliver,
    webhooks_sweep_pending,
)
from api.webhooks_models import (
    DeliveryState,
    EndpointState,
    EventType,
    WebhookDelivery,
)
from documents.models import Document, ScanStatus
from intake.models import ClaimStatus
from intake.services import claim_message_send, claim_transition
from notifications.models import Channel, Notification
from tests.api.webhooks_receiver import running_receiver
from tests.factories import InsurerFactory, TriageLeadFactory
from tests.notifications.conftest import SECRETS, make_world

pytestmark = pytest.mark.django_db

ALL = list(EventType.values)


@pytest.fixture
def receiver():
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def loopback_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True


def _register(world, receiver, *, event_types=ALL, ping=False):
    return webhook_endpoint_register(
        insurer=world.claim.insurer,
        url=receiver.url,
        event_types=event_types,
        actor=world.lead,
        ping=ping,
    )


def _message_event(world, now=None) -> WebhookDelivery:
    with transaction.atomic():
        rows = webhook_events_record(
            claim=world.claim,
            event_type=EventType.CLAIM_STATUS_CHANGED,
            event_key=f"test:{timezone.now().isoformat()}",
            occurred_at=now,
        )
    assert len(rows) == 1
    return WebhookDelivery.objects.get(pk=rows[0].pk)


# --- Signing and the payload ----------------------------------------------------------------


def test_a_delivery_verifies_with_the_standardwebhooks_package_and_carries_no_health_data(
    receiver, loopback_allowed
):
    world = make_world(ClaimStatus.ASSIGNED)
    endpoint, secret = _register(world, receiver)
    assert secret.startswith("whsec_")

    claim_transition(claim=world.claim, to_status=ClaimStatus.UNDER_REVIEW, actor=world.adjuster)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    outcomes = webhooks_deliver(delivery_ids=[str(delivery.pk)])

    assert outcomes[str(delivery.pk)].state == DeliveryState.DELIVERED
    (request,) = receiver.requests
    payload = request.payload(secret)
    assert payload["type"] == "claim.status_changed"
    assert payload["data"] == {"claim_id": str(world.claim.pk), "reference": world.claim.reference}
    assert payload["timestamp"].endswith("Z")
    assert request.headers["webhook-id"] == delivery.message_id
    assert request.headers["webhook-signature"].startswith("v1,")
    body = request.body.decode()
    for words in SECRETS:
        assert words not in body
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200
    assert delivery.last_duration_ms is not None


def test_a_wrong_secret_does_not_verify(receiver, loopback_allowed):
    world = make_world()
    _endpoint, secret = _register(world, receiver)
    delivery = _message_event(world)
    webhooks_deliver(delivery_ids=[str(delivery.pk)])
    other = webhook_endpoint_register(
        insurer=world.claim.insurer, url=receiver.url, event_types=ALL, actor=None, ping=False
    )[1]
    assert receiver.requests[0].verifies_with(secret)
    assert not receiver.requests[0].verifies_with(other)


def test_registration_pings_the_endpoint_and_records_its_answer(receiver, loopback_allowed):
    world = make_world()
    receiver.answer(500)
    endpoint, secret = _register(world, receiver, ping=True)

    (ping,) = receiver.requests
    assert ping.payload(secret)["type"] == "webhook.ping"
    endpoint.refresh_from_db()
    assert endpoint.ping_status_code == 500
    assert endpoint.ping_ok is False
    assert WebhookDelivery.objects.count() == 0


def test_only_the_claims_insurers_subscribed_endpoints_get_a_delivery(receiver, loopback_allowed):
    world = make_world()
    other_world = make_world()
    subscribed, _ = _register(world, receiver, event_types=[EventType.CLAIM_MESSAGE_POSTED])
    _register(world, receiver, event_types=[EventType.OFFER_MADE])
    _register(other_world, receiver, event_types=ALL)

    claim_message_send(claim=world.claim, author=world.adjuster, body="Zanzibar sepsis")

    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.endpoint == subscribed
    assert delivery.event_type == EventType.CLAIM_MESSAGE_POSTED
    assert "Zanzibar" not in delivery.body


def test_the_outbox_row_rolls_back_with_its_change(receiver, loopback_allowed):
    world = make_world()
    _register(world, receiver)

    with pytest.raises(RuntimeError), transaction.atomic():
        claim_message_send(claim=world.claim, author=world.adjuster, body="A question")
        claim_transition(
            claim=world.claim, to_status=ClaimStatus.UNDER_REVIEW, actor=world.adjuster
        )
        assert WebhookDelivery.objects.count() == 2  # written in the change's transaction
        raise RuntimeError("the change fails")

    assert WebhookDelivery.objects.count() == 0


def test_a_clean_document_is_announced_once_from_its_verdicts_transaction(
    receiver, loopback_allowed
):
    world = make_world()
    _register(world, receiver, event_types=[EventType.DOCUMENT_CLEAN])
    document = Document.objects.create(
        claim=world.claim,
        uploader=world.patient,
        original_name="letter.pdf",
        storage_key="quarantine/x",
        size=10,
        sha256="0" * 64,
        content_type="application/pdf",
    )
    assert WebhookDelivery.objects.count() == 0  # pending: nothing to tell yet

    with pytest.raises(RuntimeError), transaction.atomic():
        document.scan_status = ScanStatus.CLEAN
        document.save()
        raise RuntimeError("the verdict is not recorded")
    assert WebhookDelivery.objects.count() == 0

    with transaction.atomic():
        document.scan_status = ScanStatus.CLEAN
        document.save()
        document.save()  # a rescan saves it again
    (delivery,) = WebhookDelivery.objects.all()
    assert json.loads(delivery.body)["data"]["document_id"] == str(document.pk)


def test_the_claim_reaching_its_insurer_is_announced_as_submitted(receiver, loopback_allowed):
    world = make_world(ClaimStatus.SUBMITTED)
    _register(world, receiver, event_types=[EventType.CLAIM_SUBMITTED, EventType.OFFER_MADE])

    claim_transition(claim=world.claim, to_status=ClaimStatus.NEEDS_TRIAGE, actor=None)
    claim_transition(claim=world.claim, to_status=ClaimStatus.ASSIGNED, actor=world.lead)

    assert list(WebhookDelivery.objects.values_list("event_type", flat=True)) == [
        EventType.CLAIM_SUBMITTED
    ]


# --- The retry schedule -----------------------------------------------------------------------


def test_retries_on_500_follow_the_specifications_schedule_then_fail(receiver, loopback_allowed):
    world = make_world()
    _register(world, receiver)
    start = timezone.now().replace(microsecond=0)
    delivery = _message_event(world, now=start)
    receiver.answer(500, times=MAX_ATTEMPTS)

    now = start
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        # Not yet due a second before: nothing is sent.
        if attempt > 1:
            webhooks_deliver(delivery_ids=[str(delivery.pk)], now=now - datetime.timedelta(1))
            assert len(receiver.requests) == attempt - 1
        webhooks_deliver(delivery_ids=[str(delivery.pk)], now=now)
        assert len(receiver.requests) == attempt
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        assert delivery.last_status_code == 500
        if attempt == MAX_ATTEMPTS:
            break
        assert delivery.state == DeliveryState.PENDING
        wait = delivery.next_attempt_at - now
        base = RETRY_SCHEDULE[attempt - 1]
        assert base * 0.9 <= wait <= base * 1.1
        assert wait == webhook_retry_delay(attempt=attempt, message_id=delivery.message_id)
        waits.append(wait)
        now = delivery.next_attempt_at

    assert delivery.state == DeliveryState.FAILED
    assert [round(w / base) for w, base in zip(waits, RETRY_SCHEDULE, strict=True)] == [1] * 9
    assert len({w / base for w, base in zip(waits, RETRY_SCHEDULE, strict=True)}) > 1  # jitter
    # Every attempt was the same message, signed afresh.
    assert len({request.headers["webhook-id"] for request in receiver.requests}) == 1


def test_retry_after_is_honoured_on_429_and_503(receiver, loopback_allowed):
    world = make_world()
    _register(world, receiver)
    now = timezone.now()
    delivery = _message_event(world, now=now)
    receiver.answer(429, {"Retry-After": "120"})
    receiver.answer(503, {"Retry-After": "3600"})

    webhooks_deliver(delivery_ids=[str(delivery.pk)], now=now)
    delivery.refresh_from_db()
    assert delivery.next_attempt_at - now == datetime.timedelta(seconds=120)

    now = delivery.next_attempt_at
    webhooks_deliver(delivery_ids=[str(delivery.pk)], now=now)
    delivery.refresh_from_db()
    assert delivery.next_attempt_at - now == datetime.timedelta(hours=1)
    assert delivery.state == DeliveryState.PENDING


def test_410_gone_disables_the_endpoint_and_says_so(receiver, loopback_allowed):
    world = make_world()
    endpoint, _ = _register(world, receiver)
    delivery = _message_event(world)
    receiver.answer(410)

    webhooks_deliver(delivery_ids=[str(delivery.pk)])

    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED
    assert endpoint.state == EndpointState.DISABLED
    assert "410 Gone" in endpoint.disabled_reason
    # Later events are not written for it, and a failed delivery is not sent again until the
    # endpoint is enabled.
    with transaction.atomic():
        assert webhook_events_record(claim=world.claim, event_type="claim.status_changed",
                                     event_key="later") == []  # fmt: skip
    with pytest.raises(WebhookError):
        webhook_delivery_resend(delivery=delivery, actor=world.lead)


def test_410_gone_tells_the_insurers_triage_leads_once_by_title_only(
    receiver, loopback_allowed, django_capture_on_commit_callbacks, mailoutbox
):
    world = make_world()
    endpoint, _ = _register(world, receiver)
    TriageLeadFactory(insurer=world.claim.insurer, is_active=False)
    other_lead = TriageLeadFactory(insurer=InsurerFactory())
    deliveries = [_message_event(world), _message_event(world)]
    receiver.answer(410)
    receiver.answer(410)

    with django_capture_on_commit_callbacks(execute=True):
        webhooks_deliver(delivery_ids=[str(row.pk) for row in deliveries])

    told = Notification.objects.filter(kind="webhook_disabled")
    # One event however many deliveries met the 410, to the active lead of this insurer only,
    # in the centre and by email; about no claim.
    assert sorted(told.values_list("recipient", "channel")) == sorted(
        [(world.lead.pk, Channel.EMAIL), (world.lead.pk, Channel.IN_APP)]
    )
    assert not told.filter(recipient=other_lead).exists()
    assert {row.claim_id for row in told} == {None}
    (email,) = mailoutbox
    assert email.to == [world.lead.email]
    assert email.subject.endswith("A webhook endpoint of your insurer has been disabled")
    assert endpoint.url not in email.body and world.claim.reference not in email.body


def test_a_redirect_is_not_followed(receiver, loopback_allowed):
    world = make_world()
    _register(world, receiver)
    delivery = _message_event(world)
    receiver.answer(307, {"Location": f"http://127.0.0.1:{receiver.port}/elsewhere"})

    webhooks_deliver(delivery_ids=[str(delivery.pk)])

    assert [request.path for request in receiver.requests] == ["/hooks"]
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING  # a failure, tried again on the schedule
    assert delivery.last_status_code == 307
    assert "redirect" in delivery.last_error


def test_a_failed_delivery_can_be_sent_again(receiver, loopback_allowed):
    world = make_world()
    _register(world, receiver)
    delivery = _message_event(world)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.FAILED, attempts=MAX_ATTEMPTS
    )

    webhook_delivery_resend(delivery=delivery, actor=world.lead)
    webhooks_deliver(delivery_ids=[str(delivery.pk)])

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED
    assert delivery.attempts == 1


# --- SSRF -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/hooks",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hooks",
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://[::ffff:192.168.0.1]/hooks",
        "https://100.64.0.1/hooks",
    ],
)
def test_an_endpoint_on_a_private_address_is_refused_at_registration(url):
    world = make_world()
    with pytest.raises(WebhookError, match="public addresses") as refused:
        webhook_endpoint_register(
            insurer=world.claim.insurer, url=url, event_types=ALL, actor=None, ping=False
        )
    assert refused.value.field == "url"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://93.184.215.14/hooks", "https://"),
        ("ftp://example.com/hooks", "https://"),
        ("https://user:pw@example.com/hooks", "password"),
        ("https://no-such-host.invalid/hooks", "could not be found"),
    ],
)
def test_an_unusable_address_is_refused_with_a_reason(url, words, loopback_allowed):
    world = make_world()
    with pytest.raises(WebhookError, match=words):
        webhook_endpoint_register(
            insurer=world.claim.insurer, url=url, event_types=ALL, actor=None, ping=False
        )


def test_unknown_event_types_are_refused():
    world = make_world()
    with pytest.raises(WebhookError, match="Unknown event types: claim.deleted"):
        webhook_endpoint_register(
            insurer=world.claim.insurer,
            url="https://example.com/hooks",
            event_types=["claim.deleted"],
            actor=None,
            ping=False,
        )


def test_an_address_that_turned_private_is_refused_at_delivery(receiver, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
    world = make_world()
    _register(world, receiver)
    delivery = _message_event(world)
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False  # as if its name now resolved to loopback

    webhooks_deliver(delivery_ids=[str(delivery.pk)])

    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING
    assert delivery.last_status_code is None
    assert "public addresses" in delivery.last_error


# --- Rotation -------------------------------------------------------------------------------


def test_a_rotation_signs_with_both_secrets_for_a_day(receiver, loopback_allowed):
    world = make_world()
    endpoint, old = _register(world, receiver)
    rotated_at = timezone.now()
    new = webhook_endpoint_rotate_secret(endpoint=endpoint, actor=world.lead, now=rotated_at)
    assert new != old

    within = rotated_at + datetime.timedelta(hours=23, minutes=59)
    first = _message_event(world, now=within)
    webhooks_deliver(delivery_ids=[str(first.pk)], now=within)
    after = rotated_at + datetime.timedelta(hours=24, minutes=1)
    second = _message_event(world, now=after)
    webhooks_deliver(delivery_ids=[str(second.pk)], now=after)

    during, later = receiver.requests
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert during.verifies_with(old) and during.verifies_with(new)
    assert len(later.headers["webhook-signature"].split(" ")) == 1
    assert later.verifies_with(new) and not later.verifies_with(old)


# --- The sweeper ----------------------------------------------------------------------------


def test_the_sweeper_leaves_fresh_and_queued_rows_and_takes_due_ones(receiver, loopback_allowed):
    world = make_world()
    _register(world, receiver)
    now = timezone.now()
    delivery = _message_event(world, now=now)

    # Just written: its own task is on the way.
    assert webhooks_sweep_pending(now=now) == 0
    later = now + datetime.timedelta(minutes=2)
    assert webhooks_sweep_pending(now=later) == 1
    # Queued by that sweep and not yet run: not queued twice.
    assert webhooks_sweep_pending(now=later + datetime.timedelta(seconds=30)) == 0
    delivery.refresh_from_db()
    assert delivery.queued_at == later
