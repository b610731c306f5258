"""Webhooks: registering an insurer's endpoints, the outbox written with each change, and its
delivery on the Standard Webhooks schedule.

A change writes its delivery rows in its own transaction (webhook_events_record, from the
receivers in api/webhooks_receivers.py) and queues them after commit; if the broker is down then,
the sweeper (beat, every minute) queues what is still pending. An attempt takes its rows in one
short transaction, sends outside any transaction, and records the answers in another, so the
database is never held while a receiver thinks. A worker lost mid-send leaves the row to be taken
again once its lease passes: delivery is at least once, and receivers drop repeats by
`webhook-id`, as the specification expects.
"""

import datetime
import email.utils
import functools
import json
import logging
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.webhooks_models import (
    PING,
    DeliveryState,
    EndpointState,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
)
from api.webhooks_signing import webhook_headers, webhook_secret_new
from api.webhooks_transport import (
    Response,
    WebhookAddressError,
    webhook_post,
    webhook_target_resolve,
)
from intake.models import Claim
from notifications.events import EventKind
from notifications.outbox import notification_create_for_event
from portal.models import AuditAction, Insurer, User
from portal.queueing import queue_after_commit, task_publish
from portal.selectors import triage_leads_of
from portal.services import audit_event_record

logger = logging.getLogger(__name__)

#: The specification's schedule: the wait before each attempt after the first (ten in all).
RETRY_SCHEDULE = (
    datetime.timedelta(seconds=5),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=5),
    datetime.timedelta(hours=10),
    datetime.timedelta(hours=14),
    datetime.timedelta(hours=20),
    datetime.timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
#: Each wait is moved by up to this share either way, so endpoints that failed together (an
#: outage) are not all tried again in the same second.
JITTER = 0.10
#: A Retry-After (429, 503) is honoured within these bounds.
RETRY_AFTER_MIN = datetime.timedelta(seconds=5)
RETRY_AFTER_MAX = datetime.timedelta(hours=24)
#: Waits up to this long are queued with a countdown; longer ones wait for the sweeper (a
#: countdown beyond the broker's visibility timeout would be delivered twice by Redis).
COUNTDOWN_MAX = datetime.timedelta(minutes=5)
#: How long a taken row is left alone before it may be taken again (a worker lost mid-send).
LEASE = datetime.timedelta(minutes=2)
#: Rows the sweeper queues per task.
SWEEP_TASK_BATCH = 100
SWEEP_LIMIT = 5000
SWEEPER = "the webhooks sweeper queues it again within a minute"


class WebhookError(ValueError):
    """A registration or change that cannot be made; the message says what to do, `field` which
    answer it is about."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Outcome:
    state: str
    status: int | None
    error: str = ""


# --- Endpoints ----------------------------------------------------------------------------------


def webhook_event_types_clean(event_types: list[str]) -> list[str]:
    """The event types as stored (known, unique, in the catalogue's order); raises WebhookError."""
    known = set(EventType.values)
    if not event_types:
        raise WebhookError(_("Choose at least one event type."), field="event_types")
    if unknown := sorted(set(event_types) - known):
        raise WebhookError(
            _("Unknown event types: %(unknown)s. Choose from %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(EventType.values)},
            field="event_types",
        )
    return [value for value in EventType.values if value in set(event_types)]


def webhook_url_check(url: str) -> str:
    """The URL, if the SSRF rules let it be registered; raises WebhookError saying why not."""
    url = url.strip()
    try:
        webhook_target_resolve(url)
    except WebhookAddressError as error:
        raise WebhookError(str(error), field="url") from error
    return url


def webhook_endpoint_register(
    *,
    insurer: Insurer,
    url: str,
    event_types: list[str],
    actor: User | None,
    description: str = "",
    ping: bool = True,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint of `insurer` and, once saved, test it with a ping whose answer is
    recorded on it. Returns the endpoint and its secret, which is shown only this once."""
    event_types = webhook_event_types_clean(event_types)
    url = webhook_url_check(url)
    secret = webhook_secret_new()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            insurer=insurer,
            url=url,
            event_types=event_types,
            description=description.strip(),
            secret=secret,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        audit_event_record(
            action=AuditAction.CREATE, actor=actor, obj=endpoint, detail={"insurer": insurer.pk.hex}
        )
    if ping:
        webhook_endpoint_ping(endpoint=endpoint)
    return endpoint, secret


def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    actor: User | None,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    ping: bool = True,
) -> WebhookEndpoint:
    """Change an endpoint's URL, event types or description (a new URL is checked and, unless
    `ping` is False because the caller pings it after its own commit, pinged)."""
    changed = []
    if url is not None and url.strip() != endpoint.url:
        endpoint.url = webhook_url_check(url)
        changed.append("url")
    if event_types is not None:
        endpoint.event_types = webhook_event_types_clean(event_types)
        changed.append("event_types")
    if description is not None:
        endpoint.description = description.strip()
        changed.append("description")
    if changed:
        with transaction.atomic():
            endpoint.save(update_fields=changed)
            audit_event_record(
                action=AuditAction.CHANGE, actor=actor, obj=endpoint, detail={"fields": changed}
            )
    if ping and "url" in changed:
        webhook_endpoint_ping(endpoint=endpoint)
    return endpoint


def webhook_endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, actor: User | None, now: datetime.datetime | None = None
) -> str:
    """Give the endpoint a new secret; for WEBHOOKS_ROTATION_HOURS the old one signs too, so the
    receiver can switch without missing a delivery. Returns the new secret, shown only once."""
    now = now or timezone.now()
    secret = webhook_secret_new()
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.previous_secret = locked.secret
        locked.previous_secret_expires_at = now + datetime.timedelta(
            hours=settings.WEBHOOKS_ROTATION_HOURS
        )
        locked.secret = secret
        locked.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
        audit_event_record(
            action=AuditAction.CHANGE, actor=actor, obj=locked, detail={"secret": "rotated"}
        )
    endpoint.refresh_from_db()
    return secret


def webhook_endpoint_enable(*, endpoint: WebhookEndpoint, actor: User | None) -> WebhookEndpoint:
    """Deliver to a disabled endpoint again (its receiver is back): new events only; failed
    deliveries are sent again one by one (webhook_delivery_resend)."""
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            state=EndpointState.ACTIVE, disabled_at=None, disabled_reason=""
        )
        audit_event_record(
            action=AuditAction.CHANGE, actor=actor, obj=endpoint, detail={"state": "active"}
        )
    endpoint.refresh_from_db()
    return endpoint


def webhook_endpoint_disable(
    *, endpoint: WebhookEndpoint, actor: User | None, reason: str
) -> WebhookEndpoint:
    """Stop delivering to an endpoint; what is pending fails when its turn comes."""
    with transaction.atomic():
        _disable(endpoint_id=endpoint.pk, reason=reason, now=timezone.now())
        audit_event_record(
            action=AuditAction.CHANGE, actor=actor, obj=endpoint, detail={"state": "disabled"}
        )
    endpoint.refresh_from_db()
    return endpoint


def _disable(*, endpoint_id, reason: str, now: datetime.datetime) -> bool:
    """Disable the endpoint if it is active; whether this call did it."""
    return bool(
        WebhookEndpoint.objects.filter(pk=endpoint_id, state=EndpointState.ACTIVE).update(
            state=EndpointState.DISABLED, disabled_at=now, disabled_reason=reason[:300]
        )
    )


def _tell_disabled(*, endpoint: WebhookEndpoint, now: datetime.datetime) -> None:
    """Tell the insurer's people in the portal, its triage leads, that its endpoint stopped
    receiving (in the caller's transaction). The portal's administrators belong to no insurer;
    the title names no endpoint, claim or address."""
    notification_create_for_event(
        kind=EventKind.WEBHOOK_DISABLED,
        event_key=f"webhook-disabled:{endpoint.pk}:{now.isoformat()}",
        recipients=triage_leads_of(insurer_id=endpoint.insurer_id),
    )


def webhook_endpoint_ping(
    *, endpoint: WebhookEndpoint, now: datetime.datetime | None = None
) -> Response:
    """Send the endpoint a signed `webhook.ping` now and record its answer on the endpoint. The
    ping is not an outbox row: it is not retried, it only tells the administrator whether the
    receiver answers and verifies."""
    now = now or timezone.now()
    message_id = f"msg_ping_{now.strftime('%Y%m%d%H%M%S%f')}"
    body = _body(event_type=PING, occurred_at=now, data={"endpoint_id": str(endpoint.pk)})
    response = _send(endpoint=endpoint, message_id=message_id, body=body, now=now)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        pinged_at=now, ping_status_code=response.status, ping_error=response.error[:300]
    )
    endpoint.refresh_from_db()
    return response


# --- The outbox -----------------------------------------------------------------------------


def webhook_events_record(
    *,
    claim: Claim,
    event_type: str,
    event_key: str,
    extra: dict | None = None,
    occurred_at: datetime.datetime | None = None,
) -> list[WebhookDelivery]:
    """Write one delivery per active endpoint of the claim's insurer subscribed to `event_type`,
    and queue them after commit. Precondition: inside the change's transaction, so the rows
    commit or roll back with it. `event_key` names the occurrence (stable, so a change heard
    twice is announced once). The payload is thin: the claim's id and reference, and `extra`
    ids; never health details."""
    if claim.insurer_id is None:
        return []
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            insurer_id=claim.insurer_id, state=EndpointState.ACTIVE
        ).only("id", "event_types")
        if event_type in endpoint.event_types
    ]
    if not endpoints:
        return []
    occurred_at = occurred_at or timezone.now()
    data = {"claim_id": str(claim.pk), "reference": claim.reference, **(extra or {})}
    body = _body(event_type=event_type, occurred_at=occurred_at, data=data)
    rows = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint_id=endpoint.pk,
                event_type=event_type,
                event_key=event_key[:200],
                claim_id=claim.pk,
                body=body,
                created_at=occurred_at,
                next_attempt_at=occurred_at,
            )
            for endpoint in endpoints
        ],
        ignore_conflicts=True,
    )
    # The ids were chosen here, so they are known even for rows the database kept out as
    # repeats; the attempt finds no such row and does nothing.
    _queue(ids=[str(row.pk) for row in rows], after_commit=True)
    return rows


def _body(*, event_type: str, occurred_at: datetime.datetime, data: dict) -> str:
    payload = {
        "type": event_type,
        "timestamp": occurred_at.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    return json.dumps(payload, separators=(",", ":"))


def _queue(*, ids: list[str], after_commit: bool, countdown: float | None = None) -> bool:
    from api.tasks import webhooks_deliver  # the tasks module imports this one

    if not ids:
        return True
    if after_commit:
        queue_after_commit(webhooks_deliver, ids, sweeper=SWEEPER)
        return True
    options = {"countdown": countdown} if countdown else None
    return task_publish(webhooks_deliver, ids, sweeper=SWEEPER, options=options)


def webhooks_sweep_pending(*, now: datetime.datetime | None = None) -> int:
    """Beat: queue the pending rows that are due and not already waiting in the queue (the
    broker was down at commit, a worker was lost, or a long wait has passed). Returns how many
    were queued."""
    now = now or timezone.now()
    requeue_before = now - datetime.timedelta(seconds=settings.WEBHOOKS_REQUEUE_SECONDS)
    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
            .exclude(queued_at__gt=requeue_before)
            # A row just written has its own task on the way, unless the broker was down.
            .exclude(attempts=0, created_at__gt=requeue_before)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:SWEEP_LIMIT]
        )
        WebhookDelivery.objects.filter(pk__in=ids).update(queued_at=now)
    queued = 0
    for start in range(0, len(ids), SWEEP_TASK_BATCH):
        batch = [str(pk) for pk in ids[start : start + SWEEP_TASK_BATCH]]
        if not _queue(ids=batch, after_commit=False):
            break  # the broker is down: the rows stay due for the next sweep
        queued += len(batch)
    if queued < len(ids):
        WebhookDelivery.objects.filter(pk__in=ids[queued:], queued_at=now).update(queued_at=None)
    return queued


def webhook_delivery_resend(*, delivery: WebhookDelivery, actor: User | None) -> WebhookDelivery:
    """Send a delivery again now, with a fresh schedule (an administrator's manual
    redelivery, once the receiver is mended). The endpoint must be active."""
    if not delivery.endpoint.is_active:
        raise WebhookError(_("Enable the endpoint again before sending its deliveries again."))
    now = timezone.now()
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.PENDING, attempts=0, next_attempt_at=now, queued_at=now
        )
        audit_event_record(
            action=AuditAction.CHANGE, actor=actor, obj=delivery, detail={"resend": True}
        )
        _queue(ids=[str(delivery.pk)], after_commit=True)
    delivery.refresh_from_db()
    return delivery


# --- Delivery -------------------------------------------------------------------------------


def webhook_retry_delay(*, attempt: int, message_id: str) -> datetime.timedelta:
    """The wait after failed attempt number `attempt` (1-based): the schedule's, moved by up to
    JITTER either way. Seeded by the message and attempt, so it is the same however often it is
    worked out (and a test can check it)."""
    base = RETRY_SCHEDULE[attempt - 1]
    factor = random.Random(f"{message_id}:{attempt}").uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 - spreading load, not a secret
    return base * factor


def webhooks_deliver(
    *, delivery_ids: list[str], now: datetime.datetime | None = None
) -> dict[str, Outcome]:
    """Attempt each due pending delivery among `delivery_ids` once and record the answer: 2xx
    delivered; 410 disables the endpoint; otherwise the next attempt on the schedule, or failed
    after the last. Rows not due, taken by another worker, or already done are skipped."""
    now = now or timezone.now()
    taken = _take(delivery_ids=delivery_ids, now=now)
    results = {}
    for delivery in taken:
        if not delivery.endpoint.is_active:
            results[delivery.pk] = Response(
                status=None, duration_ms=0, error=_("The endpoint is disabled.")
            )
            continue
        results[delivery.pk] = _send(
            endpoint=delivery.endpoint, message_id=delivery.message_id, body=delivery.body, now=now
        )
    with transaction.atomic():
        return {
            str(delivery.pk): _record(delivery, results[delivery.pk], now=now) for delivery in taken
        }


def _take(*, delivery_ids: list[str], now: datetime.datetime) -> list[WebhookDelivery]:
    """Lock the due rows, count their attempt and lease them, in one short transaction."""
    with transaction.atomic():
        rows = list(
            WebhookDelivery.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("endpoint")
            .filter(pk__in=delivery_ids, state=DeliveryState.PENDING, next_attempt_at__lte=now)
            .order_by("created_at")
        )
        for row in rows:
            row.attempts += 1
            row.last_attempt_at = now
            row.next_attempt_at = now + LEASE
        WebhookDelivery.objects.bulk_update(
            rows, ["attempts", "last_attempt_at", "next_attempt_at"]
        )
    return rows


def _send(
    *, endpoint: WebhookEndpoint, message_id: str, body: str, now: datetime.datetime
) -> Response:
    """Sign with the endpoint's secret (and the previous one, during a rotation) and post to the
    address its URL resolves to now, checked again: an address that turned private is refused."""
    try:
        target = webhook_target_resolve(endpoint.url)
    except WebhookAddressError as error:
        return Response(status=None, duration_ms=0, error=str(error))
    secrets_in_use = [endpoint.secret]
    if endpoint.previous_secret and (
        endpoint.previous_secret_expires_at and now < endpoint.previous_secret_expires_at
    ):
        secrets_in_use.append(endpoint.previous_secret)
    # The attempt's own time, as the specification defines it (receivers refuse stale ones);
    # `now` is the schedule's clock.
    timestamp = int(timezone.now().timestamp())
    headers = webhook_headers(
        secrets_in_use=secrets_in_use, message_id=message_id, timestamp=timestamp, body=body
    )
    return webhook_post(target=target, body=body.encode(), headers=headers)


def _record(delivery: WebhookDelivery, response: Response, *, now: datetime.datetime) -> Outcome:
    delivery.last_status_code = response.status
    delivery.last_duration_ms = response.duration_ms
    delivery.last_error = response.error[:300] or _status_words(response.status)
    delivery.queued_at = None
    status = response.status
    if status is not None and 200 <= status < 300:
        delivery.state = DeliveryState.DELIVERED
        delivery.delivered_at = now
    elif status == 410:
        delivery.state = DeliveryState.FAILED
        disabled = _disable(
            endpoint_id=delivery.endpoint_id,
            reason=_(
                "The endpoint answered 410 Gone on %(when)s: the receiver asked for no more "
                "deliveries. Enable it again once it is back."
            )
            % {"when": timezone.localtime(now).strftime("%d %b %Y %H:%M")},
            now=now,
        )
        if disabled:  # once, however many of its deliveries met the 410
            _tell_disabled(endpoint=delivery.endpoint, now=now)
            logger.warning("Webhook endpoint %s answered 410 Gone; disabled.", delivery.endpoint_id)
    elif not delivery.endpoint.is_active or delivery.attempts >= MAX_ATTEMPTS:
        delivery.state = DeliveryState.FAILED
    else:
        wait = _wait(delivery, response)
        delivery.next_attempt_at = now + wait
        if wait <= COUNTDOWN_MAX:
            delivery.queued_at = now
            transaction.on_commit(
                functools.partial(
                    _queue,
                    ids=[str(delivery.pk)],
                    after_commit=False,
                    countdown=wait.total_seconds(),
                )
            )
    delivery.save(
        update_fields=[
            "state",
            "next_attempt_at",
            "queued_at",
            "last_status_code",
            "last_duration_ms",
            "last_error",
            "delivered_at",
        ]
    )
    return Outcome(state=delivery.state, status=status, error=delivery.last_error)


def _wait(delivery: WebhookDelivery, response: Response) -> datetime.timedelta:
    wait = webhook_retry_delay(attempt=delivery.attempts, message_id=delivery.message_id)
    if response.status in (429, 503) and (asked := _retry_after(response.retry_after)):
        wait = min(max(asked, RETRY_AFTER_MIN), RETRY_AFTER_MAX)
    return wait


def _retry_after(value: str) -> datetime.timedelta | None:
    """Retry-After as seconds or an HTTP date (RFC 9110 10.2.3); None if unreadable."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return datetime.timedelta(seconds=int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(when - timezone.now(), datetime.timedelta(0))


def _status_words(status: int | None) -> str:
    if status is None or 200 <= status < 300:
        return ""
    if 300 <= status < 400:
        return _("The endpoint answered with a redirect, which is not followed.")
    return _("The endpoint answered %(status)s.") % {"status": status}
