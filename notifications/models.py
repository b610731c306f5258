"""The notification outbox, people's preferences and the daily digest choice."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.events import EventKind


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    IN_APP = "in_app", _("In the portal")


class State(models.TextChoices):
    #: Email waiting to be sent by a worker.
    PENDING = "pending", _("Pending")
    #: Email held for the recipient's daily digest.
    DIGEST = "digest", _("Held for the daily digest")
    #: Email a worker has taken to send and has not yet reported on. Nothing sends it again
    #: unless that worker is presumed lost (the sweeper, after NOTIFICATION_REQUEUE_MINUTES).
    SENDING = "sending", _("Being sent")
    #: The same, for a row taken into a daily digest.
    DIGESTING = "digesting", _("Being sent in the daily digest")
    SENT = "sent", _("Sent")
    #: Email that could not be delivered (address rejected, or every retry failed).
    FAILED = "failed", _("Failed")
    #: In-app notification the recipient has read.
    READ = "read", _("Read")
    #: Email not sent: by the time it was due, its recipient could no longer see the claim (an
    #: advocate whose authority ended).
    WITHDRAWN = "withdrawn", _("Withdrawn: the recipient may no longer see the claim")


class Notification(models.Model):
    """One outbox row: one recipient, one channel, one event. Created in the same transaction as
    the change it announces; the idempotency key makes its delivery happen once.

    The recipient is a person with an account, or, for an advocate's invitation, an address that
    may have none yet (`recipient_email`, email only). Links that carry a secret (an invitation's
    signed token, a password link) are never stored: the email is rendered when it is sent, from
    the rows it names (`authority`, `actor`). A draft's emails carry their own dates: the notice
    that a draft was deleted has no claim left to read them from."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    #: The address of a recipient who may have no account (an invited advocate).
    recipient_email = models.EmailField(_("recipient's address"), blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("event"), max_length=40, choices=EventKind.choices)
    #: The title the recipient reads, in general words (fixed when the event happened).
    title = models.CharField(_("title"), max_length=200)
    claim = models.ForeignKey(
        "intake.Claim",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    #: The invitation an advocate's invitation email is for (its link is made when it is sent).
    authority = models.ForeignKey(
        "intake.Authority",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    #: The person whose action the email tells of, named in it (who invites, who filed).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    #: The day the draft an email tells of was started, and the day it will be deleted.
    draft_started_on = models.DateField(_("draft started on"), null=True, blank=True)
    draft_deleted_on = models.DateField(_("draft to be deleted on"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    #: Why the last attempt failed: the mail server's answer, never any health detail.
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    #: When a worker should next try (the sweeper re-queues rows left behind after it); for a row
    #: being sent, when a worker took it.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The header's unread count and the notification centre.
            models.Index(fields=["recipient", "channel", "read_at"], name="notification_inbox_idx"),
            # The sweeper and the digest: emails still waiting.
            models.Index(fields=["state", "next_attempt_at"], name="notification_outbox_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False) | ~models.Q(recipient_email=""),
                name="notification_has_recipient",
            ),
            # Only an email can go to an address without an account.
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False) | models.Q(channel="email"),
                name="notification_in_app_has_account",
            ),
        ]

    def __str__(self) -> str:
        to = self.recipient_id or "an address without an account"
        return f"{self.get_kind_display()} to {to} by {self.channel}"


class NotificationPreference(models.Model):
    """A person's choice for one kind of event on one channel; without a row, it is on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=40, choices=EventKind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "channel"], name="notification_preference_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.channel}: {self.enabled}"


class EmailDigest(models.Model):
    """Staff who chose one email a day listing their events instead of one email per event."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="email_digest",
    )
    enabled = models.BooleanField(default=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}: digest {'on' if self.enabled else 'off'}"
