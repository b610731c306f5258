"""The letters a claim is owed: one row per status change that calls for a letter, written in the
transaction of the move, so a letter is owed exactly when the move holds and a broker that is
down loses nothing (the sweeper queues the row again). A worker writes the letter and stores it
as a document of the claim (documents.services.document_store_letter).

Imported by resolution/models.py, so the model belongs to the resolution app."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.models import LetterKind


class LetterState(models.TextChoices):
    PENDING = "pending", _("Waiting to be written")
    DONE = "done", _("Written and stored")
    #: Every attempt failed (LETTER_MAX_ATTEMPTS): logged for the staff, never retried alone.
    FAILED = "failed", _("Could not be written")


class LetterRequest(models.Model):
    """A letter owed for one move of a claim's lifecycle, and the document it became."""

    claim = models.ForeignKey(
        "intake.Claim", on_delete=models.CASCADE, related_name="letter_requests"
    )
    #: One letter per move: a move announced twice, or a task run twice, makes one letter.
    status_change = models.OneToOneField(
        "intake.ClaimStatusChange", on_delete=models.CASCADE, related_name="letter_request"
    )
    kind = models.CharField(_("letter"), max_length=30, choices=LetterKind.choices)
    #: The insurer's staff member the letter goes out under (the document's uploader): who made
    #: the move, or the claim's adjuster when the patient's side or the portal made it.
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=20, choices=LetterState.choices, default=LetterState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    #: When the next attempt should have started; the sweeper queues a row long past it again.
    due_at = models.DateTimeField(default=timezone.now)
    #: Why the last attempt failed, in words that name no detail of the claim.
    last_error = models.CharField(max_length=300, blank=True)
    document = models.OneToOneField(
        "documents.Document",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="letter_request",
    )
    created_at = models.DateTimeField(default=timezone.now)
    written_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        indexes = [models.Index(fields=["state", "due_at"], name="letter_state_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=LetterState.values), name="letter_state_known"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=LetterKind.values), name="letter_kind_known"
            ),
            # A written letter is a document; one still owed or given up has none.
            models.CheckConstraint(
                condition=models.Q(state="done", document__isnull=False)
                | (~models.Q(state="done") & models.Q(document__isnull=True)),
                name="letter_document_when_done",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim} {self.kind} letter"
