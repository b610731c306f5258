"""Webhooks: the endpoints an insurer registers, and the outbox of deliveries to them.

Loaded by Django through the import at the end of api/models.py. A delivery row is written in the
transaction of the change it announces (api/webhooks_receivers.py), so an event is announced
exactly when its change holds, and a broker that is down loses nothing: the sweeper queues it.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    """What an endpoint may subscribe to. Every payload is thin: the type, when, and which claim
    (id and reference); the receiver fetches the rest through the API, where each read is
    audited."""

    CLAIM_SUBMITTED = "claim.submitted", _("A claim reached the insurer")
    CLAIM_STATUS_CHANGED = "claim.status_changed", _("A claim's status changed")
    CLAIM_MESSAGE_POSTED = "claim.message_posted", _("A message was posted on a claim")
    DOCUMENT_CLEAN = "document.clean", _("A document passed its virus scan")
    OFFER_MADE = "offer.made", _("An offer was made")
    OFFER_ANSWERED = "offer.answered", _("The patient answered an offer")
    PAYMENT_MADE = "payment.made", _("A payment was recorded")


#: The type of the test message sent when an endpoint is registered (or on request); no endpoint
#: subscribes to it.
PING = "webhook.ping"


class EndpointState(models.TextChoices):
    ACTIVE = "active", _("Active")
    DISABLED = "disabled", _("Disabled")


class WebhookEndpoint(models.Model):
    """A URL of an insurer's system that hears of the events it subscribed to, signed with its
    own `whsec_` secret (Standard Webhooks). During a rotation the previous secret also signs,
    until `previous_secret_expires_at`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    insurer = models.ForeignKey(
        "portal.Insurer",
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        verbose_name=_("insurer"),
    )
    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(
        _("event types"), default=list, help_text=_("The events this endpoint hears of.")
    )
    # Kept readable: signing needs the secret itself (the specification's symmetric scheme).
    secret = models.CharField(_("secret"), max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    state = models.CharField(
        _("state"), max_length=20, choices=EndpointState.choices, default=EndpointState.ACTIVE
    )
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=300, blank=True)
    pinged_at = models.DateTimeField(_("last ping"), null=True, blank=True)
    ping_status_code = models.PositiveSmallIntegerField(
        _("last ping's response code"), null=True, blank=True
    )
    ping_error = models.CharField(_("last ping's error"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        indexes = [models.Index(fields=["insurer", "state"], name="webhook_endpoint_insurer_idx")]

    def __str__(self) -> str:
        return self.url

    @property
    def is_active(self) -> bool:
        return self.state == EndpointState.ACTIVE

    @property
    def ping_ok(self) -> bool | None:
        if self.pinged_at is None:
            return None
        return self.ping_status_code is not None and 200 <= self.ping_status_code < 300


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event for one endpoint: the outbox row and its delivery log. The body is kept as sent,
    so every attempt signs the same bytes; `webhook-id` is the row's id and stays the same across
    attempts, for the receiver to drop repeats."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(_("event type"), max_length=40)
    # One per occurrence and endpoint: a change replayed, or heard twice, is announced once.
    event_key = models.CharField(max_length=200)
    claim = models.ForeignKey(
        "intake.Claim", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField(_("body"))
    state = models.CharField(
        _("state"), max_length=20, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the next attempt is due; while an attempt is in flight, when it may be taken again.
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # When the sweeper last queued it, so a backlog waiting in the queue is not queued twice.
    queued_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last response code"), null=True, blank=True
    )
    last_duration_ms = models.PositiveIntegerField(_("last time taken (ms)"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_key"], name="webhook_delivery_once_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint_id}"

    @property
    def message_id(self) -> str:
        """The `webhook-id` header: the same on every attempt of this delivery."""
        return f"msg_{self.pk.hex}"
