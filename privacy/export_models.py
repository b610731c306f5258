"""A subject access request: a patient's (or, for one that came by post, an administrator's on
their behalf) request for a copy of the data held about them, the one-month deadline it runs to,
and the zip it became while it may be downloaded."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportState(models.TextChoices):
    #: Asked for; a worker builds the zip (the sweeper queues it again if the broker lost it).
    REQUESTED = "requested", _("Being prepared")
    READY = "ready", _("Ready to download")
    #: Past its download days: the zip has been deleted from storage.
    EXPIRED = "expired", _("Deleted after its download days")
    #: Given up after every attempt; an administrator sees it in the list of open requests.
    FAILED = "failed", _("Could not be prepared")


class ExportChannel(models.TextChoices):
    PORTAL = "portal", _("Asked in the portal")
    POST = "post", _("Asked by post")


#: States in which the request is still owed an answer (the administrators' open list).
OPEN_STATES = (ExportState.REQUESTED, ExportState.FAILED)


class ExportRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="data_exports"
    )
    #: The patient, or the administrator who recorded a request that came by post.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("how it was asked"), max_length=10, choices=ExportChannel.choices)
    #: When the request reached the portal (for a letter: the day it arrived); the month runs
    #: from here.
    received_on = models.DateField(_("received on"), default=timezone.localdate)
    due_on = models.DateField(_("answer due by"))
    #: Up to two more months, with a reason the patient is told of (UK GDPR Art. 12(3)).
    extended_to = models.DateField(_("extended to"), null=True, blank=True)
    extension_reason = models.TextField(_("why more time is needed"), max_length=2000, blank=True)
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    extended_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=ExportState.choices, default=ExportState.REQUESTED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    #: When the next attempt should have started; the sweeper queues a row long past it again.
    attempt_due_at = models.DateTimeField(default=timezone.now)
    #: Why the last attempt failed, in words that name nothing held about the patient.
    last_error = models.CharField(max_length=300, blank=True)
    #: exports/<uuid>: random, never derived from the patient.
    storage_key = models.CharField(max_length=100, blank=True)
    size = models.BigIntegerField(_("size in bytes"), null=True, blank=True)
    files = models.PositiveIntegerField(_("files in the zip"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("downloadable until"), null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("subject access request")
        verbose_name_plural = _("subject access requests")
        indexes = [
            models.Index(fields=["state", "attempt_due_at"], name="export_state_due_idx"),
            models.Index(fields=["state", "expires_at"], name="export_state_expires_idx"),
            models.Index(fields=["patient", "created_at"], name="export_patient_idx"),
        ]
        constraints = [
            # One copy in preparation per patient: asking again while it is built adds nothing.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(state="requested"),
                name="export_one_requested_per_patient",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=ExportState.values), name="export_state_known"
            ),
        ]

    def __str__(self) -> str:
        return f"Subject access request {str(self.id)[:8]}"

    @property
    def deadline(self):
        """The date the answer is owed by: the month, or the extension."""
        return self.extended_to or self.due_on

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_downloadable(self, *, now=None) -> bool:
        return (
            self.state == ExportState.READY
            and self.expires_at is not None
            and (now or timezone.now()) < self.expires_at
        )
