"""Retention's records: legal holds that keep a claim (or everything about one patient) beyond
the schedule, the claims already anonymised, and the history of a patient's contact corrections.
Imported by privacy/models.py so Django finds them."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LegalHoldQuerySet(models.QuerySet):
    def active(self) -> "LegalHoldQuerySet":
        return self.filter(lifted_at__isnull=True)


class LegalHold(models.Model):
    """A do-not-destroy order: while it is in force (not lifted) nothing about its claim, or
    about its patient, is anonymised or deleted, whatever the retention schedule says."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    #: Exactly one of claim and patient: one claim, or everything about one patient.
    claim = models.ForeignKey(
        "intake.Claim",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="legal_holds",
        verbose_name=_("claim"),
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="legal_holds",
        verbose_name=_("patient"),
    )
    reason = models.TextField(_("why the hold is needed"), max_length=2000)
    review_on = models.DateField(_("review the hold on"), null=True, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lift_reason = models.TextField(_("why the hold was lifted"), max_length=2000, blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        indexes = [
            models.Index(fields=["claim", "lifted_at"], name="legal_hold_claim_idx"),
            models.Index(fields=["patient", "lifted_at"], name="legal_hold_patient_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="legal_hold_claim_or_patient",
                condition=(
                    models.Q(claim__isnull=False, patient__isnull=True)
                    | models.Q(claim__isnull=True, patient__isnull=False)
                ),
            ),
            models.CheckConstraint(
                name="legal_hold_lift_has_reason",
                condition=models.Q(lifted_at__isnull=True) | ~models.Q(lift_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"Legal hold {str(self.id)[:8]}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class AnonymisedClaim(models.Model):
    """A claim whose personal data the retention run replaced: its marker (so a later run leaves
    it alone) and what went, in counts only."""

    claim = models.OneToOneField(
        "intake.Claim", on_delete=models.CASCADE, primary_key=True, related_name="anonymisation"
    )
    anonymised_at = models.DateTimeField(default=timezone.now)
    documents_deleted = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("anonymised claim")
        verbose_name_plural = _("anonymised claims")

    def __str__(self) -> str:
        return f"{self.claim_id} anonymised"


class ContactCorrection(models.Model):
    """A patient's correction of their contact details on a submitted claim: what they were,
    what they became, who changed them and when. The values are personal data: shown only to the
    patient and to the insurer's staff on the claim."""

    claim = models.ForeignKey(
        "intake.Claim", on_delete=models.CASCADE, related_name="contact_corrections"
    )
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    corrected_at = models.DateTimeField(default=timezone.now)
    #: {field: value} of the fields that changed only (full_name, phone, address).
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)

    class Meta:
        ordering = ["-corrected_at", "-id"]
        verbose_name = _("contact correction")
        verbose_name_plural = _("contact corrections")

    def __str__(self) -> str:
        return f"{self.claim_id} contact correction {self.pk}"
