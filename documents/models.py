"""A document sent as evidence on a claim: where its bytes are, what they are, and whether the
virus scanner has passed them. The original file name is for display only."""

import uuid
from datetime import timedelta

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


class LetterKind(models.TextChoices):
    """The letters the portal writes itself on a claim (resolution/letters.py renders them)."""

    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
    INFORMATION_REQUEST = "information_request", _("Request for information")
    OFFER = "offer", _("Offer")
    DECISION = "decision", _("Reasoned decision")
    SETTLEMENT = "settlement", _("Settlement confirmation")
    REVIEW_OUTCOME = "review_outcome", _("Outcome of a review")


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
OVERDUE_MESSAGE = _(
    "Checking this file for viruses is taking longer than usual. It can be opened once that is "
    "done. Our staff have been told; you do not need to do anything."
)


class UnscannableReason(models.TextChoices):
    """Why the portal itself refused to pass a packed document (DOCX, ODT) to the scanner:
    recorded as the document's signature, so staff and the patient see the same reason."""

    TOO_MANY_FILES = "Portal.Archive.TooManyFiles", _("Too many files packed inside")
    TOO_LARGE_UNPACKED = "Portal.Archive.TooLargeUnpacked", _("Too large once unpacked")
    COMPRESSION_RATIO = "Portal.Archive.CompressionRatio", _("Packed far more tightly than usual")
    NESTED_TOO_DEEP = "Portal.Archive.NestedTooDeep", _("Packed files nested too deeply")
    ENCRYPTED = "Portal.Archive.Encrypted", _("Protected with a password")
    DAMAGED = "Portal.Archive.Damaged", _("Damaged or incomplete")
    UNKNOWN_METHOD = "Portal.Archive.UnknownMethod", _("Packed in a way we cannot unpack")
    ARCHIVE_INSIDE = "Portal.Archive.ArchiveInside", _("Holds a compressed file of another kind")


def _unscannable_message(reason: str) -> str:
    """The plain-words reason for a document the portal would not pass to the scanner."""
    limits = {
        "files": settings.DOCUMENT_ARCHIVE_MAX_ENTRIES,
        "size": settings.DOCUMENT_ARCHIVE_MAX_UNCOMPRESSED_MB,
        "depth": settings.DOCUMENT_ARCHIVE_MAX_DEPTH,
    }
    why = {
        UnscannableReason.TOO_MANY_FILES: _(
            "it holds more than %(files)d files packed inside it, more than we can check"
        ),
        UnscannableReason.TOO_LARGE_UNPACKED: _(
            "once unpacked it would take more than %(size)d MB, more than we can check"
        ),
        UnscannableReason.COMPRESSION_RATIO: _(
            "it unpacks to far more than its own size, as files made to overload virus checkers do"
        ),
        UnscannableReason.NESTED_TOO_DEEP: _(
            "it holds packed files inside packed files more than %(depth)d levels deep"
        ),
        UnscannableReason.ENCRYPTED: _("part of it is protected with a password"),
        UnscannableReason.DAMAGED: _("it is damaged or incomplete, so we could not look inside it"),
        UnscannableReason.UNKNOWN_METHOD: _(
            "part of it is compressed in a way we cannot unpack to look inside"
        ),
        UnscannableReason.ARCHIVE_INSIDE: _(
            "it holds a compressed file (such as a .gz, .7z or .rar file), which a document "
            "should not"
        ),
    }[UnscannableReason(reason)] % limits
    return _(
        "We could not check this file for viruses because %(why)s, so nobody can open it. "
        "Please send it as a PDF, or without the files packed inside it."
    ) % {"why": why}


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
    # Blank for what people send; a letter the portal made is marked with its kind.
    letter_kind = models.CharField(
        _("letter from the portal"), max_length=30, choices=LetterKind.choices, blank=True
    )
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
    # When the next scan attempt should have started: at upload, then after each retry's backoff
    # or requeue. The sweeper queues again a pending document whose attempt is long past due.
    scan_due_at = models.DateTimeField(default=timezone.now)
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
            models.Index(fields=["scan_status", "scan_due_at"], name="document_status_due_idx"),
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
    def is_letter(self) -> bool:
        """Made by the portal (a letter), not sent by a person."""
        return bool(self.letter_kind)

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
        if self.is_overdue:
            return str(OVERDUE_MESSAGE)
        if self.signature in UnscannableReason.values:
            return _unscannable_message(self.signature)
        return str(STATUS_MESSAGES[self.scan_status])

    @property
    def is_overdue(self) -> bool:
        """Still pending DOCUMENT_SCAN_OVERDUE_MINUTES after upload: shown to staff as a problem."""
        return self.scan_status == ScanStatus.PENDING and self.created_at < overdue_cutoff()

    @property
    def is_flagged(self) -> bool:
        return (
            self.withdrawn_at is not None
            or self.scan_status in (ScanStatus.INFECTED, ScanStatus.ERROR)
            or self.is_overdue
        )


def overdue_cutoff(now=None):
    """Documents uploaded before this and still pending are overdue."""
    return (now or timezone.now()) - timedelta(minutes=settings.DOCUMENT_SCAN_OVERDUE_MINUTES)
