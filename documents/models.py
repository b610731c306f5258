"""A document sent as evidence on a claim: where its bytes are, what they are, and whether the
virus scanner has passed them. The original file name is for display only."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DocumentCategory(models.TextChoices):
    MEDICAL_RECORDS = "medical_records", _("Medical records")
    PHOTOS = "photos", _("Photos")
    RECEIPTS = "receipts", _("Receipts and financial")
    CORRESPONDENCE = "correspondence", _("Correspondence")
    AUTHORITY_FORM = "authority_form", _("Authority form")
    OTHER = "other", _("Other")


class ScanStatus(models.TextChoices):
    PENDING = "pending", _("Being checked for viruses")
    CLEAN = "clean", _("Ready")
    INFECTED = "infected", _("Virus found")
    # clamd could not look at all of it (size or nesting limits): never treated as clean.
    UNSCANNABLE = "unscannable", _("Could not be checked")
    # Scanning kept failing (scanner or storage unavailable) after every retry.
    ERROR = "error", _("Check failed")


STATUS_MESSAGES = {
    ScanStatus.PENDING: _(
        "We are checking this file for viruses. It can be opened once that is done."
    ),
    ScanStatus.CLEAN: _("Checked for viruses: none found."),
    ScanStatus.INFECTED: _(
        "We found a virus in this file, so nobody can open it. Check your device with antivirus "
        "software, then send a clean copy."
    ),
    ScanStatus.UNSCANNABLE: _(
        "We could not check this file for viruses (it is too large or too deeply packed to "
        "check), so nobody can open it. Please send it as a PDF, or in smaller parts."
    ),
    ScanStatus.ERROR: _(
        "We have not been able to check this file for viruses yet, so nobody can open it. Our "
        "staff have been told; you do not need to do anything."
    ),
}
WITHDRAWN_MESSAGE = _(
    "A later virus check found a problem with this file, so it has been removed from view. "
    "Please send a clean copy."
)

#: Storage key prefixes: a file lives under quarantine/ until the scanner passes it.
QUARANTINE_PREFIX = "quarantine/"
CLEAN_PREFIX = "clean/"


class Document(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    claim = models.ForeignKey("intake.Claim", on_delete=models.PROTECT, related_name="documents")
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(_("category"), max_length=30, choices=DocumentCategory.choices)
    # Display only: cleaned of control and direction characters, always shown escaped.
    original_name = models.CharField(_("file name"), max_length=255)
    # quarantine/<uuid> or clean/<uuid>: random, never derived from the name or the person.
    storage_key = models.CharField(max_length=100, unique=True)
    size = models.BigIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64)
    # Sniffed from the bytes, never taken from the browser.
    content_type = models.CharField(max_length=100)
    scan_status = models.CharField(
        _("scan status"), max_length=20, choices=ScanStatus.choices, default=ScanStatus.PENDING
    )
    signature = models.CharField(_("signature found"), max_length=200, blank=True)
    # clamd's version line (engine and signature database) at the last scan.
    signature_version = models.CharField(max_length=200, blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)
    scan_attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    # Set when a rescan finds a threat in a file that had passed: hidden and flagged for staff.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Set when an infected file's quarantined object has been deleted after its retention.
    purged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        indexes = [
            models.Index(fields=["claim", "created_at"], name="document_claim_created_idx"),
            models.Index(fields=["scan_status", "created_at"], name="document_status_created_idx"),
            models.Index(
                fields=["scan_status", "signature_version"], name="document_status_sigver_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="document_scan_status_valid",
                condition=models.Q(scan_status__in=ScanStatus.values),
            ),
            models.CheckConstraint(
                name="document_size_not_negative", condition=models.Q(size__gte=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_scan_status_display()})"

    @property
    def is_downloadable(self) -> bool:
        """Only a file the scanner passed, promoted out of quarantine and not withdrawn."""
        return (
            self.scan_status == ScanStatus.CLEAN
            and self.withdrawn_at is None
            and self.storage_key.startswith(CLEAN_PREFIX)
        )

    @property
    def status_label(self) -> str:
        if self.withdrawn_at is not None:
            return str(_("Removed"))
        return self.get_scan_status_display()

    @property
    def status_message(self) -> str:
        """What the state means, in plain words for the person who sent the file."""
        if self.withdrawn_at is not None:
            return str(WITHDRAWN_MESSAGE)
        return str(STATUS_MESSAGES[self.scan_status])

    @property
    def is_flagged(self) -> bool:
        return self.withdrawn_at is not None or self.scan_status in (
            ScanStatus.INFECTED,
            ScanStatus.ERROR,
        )
