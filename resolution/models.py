"""How a claim ends: the rounds of offers and the patient's answers, the settlement agreed, the
payments made against it, the bank details they go to, the insurer's reserve, and reviews of a
decision. The claim's status moves through the lifecycle table (intake/lifecycle.py); these rows
hold what each move agreed."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The letters a claim is owed live in their own module, registered with the app's models here.
from resolution.letters_models import LetterRequest, LetterState  # noqa: F401
from triage.models import AMOUNT_MAX

MONEY = {"max_digits": 12, "decimal_places": 2}


class HeadOfLoss(models.TextChoices):
    """What an amount in an offer compensates: general damages for the harm itself, then the
    claim's own kinds of financial loss (intake.LossKind)."""

    GENERAL_DAMAGES = "general_damages", _("General damages (pain, suffering, loss of amenity)")
    EARNINGS = "earnings", _("Lost earnings")
    TREATMENT = "treatment", _("Treatment and medical costs")
    CARE = "care", _("Care and help at home")
    TRAVEL = "travel", _("Travel")
    OTHER = "other", _("Other costs")


class OfferState(models.TextChoices):
    OPEN = "open", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    COUNTERED = "countered", _("Counter-proposal made")
    LAPSED = "lapsed", _("Lapsed")


class Offer(models.Model):
    """One round: the insurer's offer, and the patient's answer to it (accept, decline or
    counter) on the same row, so the thread of proposals is one query however long it gets."""

    claim = models.ForeignKey("intake.Claim", on_delete=models.CASCADE, related_name="offers")
    round = models.PositiveSmallIntegerField(_("round"))
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(default=timezone.now)
    amount = models.DecimalField(_("amount"), **MONEY)
    #: [{"head": HeadOfLoss value, "past": "1200.00", "future": "0.00"}, ...]; the parts add up
    #: to `amount`.
    breakdown = models.JSONField(_("breakdown by head of loss"), default=list)
    terms = models.TextField(_("terms"), max_length=5000, blank=True)
    respond_by = models.DateField(_("answer by"))
    state = models.CharField(
        _("state"), max_length=20, choices=OfferState.choices, default=OfferState.OPEN
    )
    lapse_warned_at = models.DateTimeField(null=True, blank=True)
    # The patient's answer
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_reasons = models.TextField(_("reasons"), max_length=5000, blank=True)
    counter_amount = models.DecimalField(_("amount proposed"), null=True, blank=True, **MONEY)

    class Meta:
        ordering = ["claim", "round"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [
            models.UniqueConstraint(fields=["claim", "round"], name="offer_unique_round"),
            # At most one offer of a claim waits for an answer.
            models.UniqueConstraint(
                fields=["claim"],
                condition=models.Q(state="open"),
                name="offer_one_open_per_claim",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0, amount__lte=AMOUNT_MAX), name="offer_amount_bounds"
            ),
            models.CheckConstraint(
                condition=models.Q(counter_amount__isnull=True)
                | models.Q(counter_amount__gt=0, counter_amount__lte=AMOUNT_MAX),
                name="offer_counter_amount_bounds",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=OfferState.values), name="offer_state_known"
            ),
        ]
        indexes = [models.Index(fields=["state", "respond_by"], name="offer_state_due_idx")]

    def __str__(self) -> str:
        return f"{self.claim} offer {self.round}"


class Settlement(models.Model):
    """What was agreed, by whom and when: an accepted offer, or a counter-proposal the insurer
    accepted. The claim closes when payments cover the amount."""

    claim = models.OneToOneField(
        "intake.Claim", on_delete=models.CASCADE, related_name="settlement"
    )
    offer = models.OneToOneField(Offer, on_delete=models.PROTECT, related_name="settlement")
    amount = models.DecimalField(_("amount agreed"), **MONEY)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    agreed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")

    def __str__(self) -> str:
        return f"{self.claim} settlement"


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CHEQUE = "cheque", _("Cheque")
    OTHER = "other", _("Other")


class Payment(models.Model):
    """Money paid against a settlement, as the insurer's finance system recorded it."""

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount"), **MONEY)
    paid_on = models.DateField(_("date paid"))
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    finance_reference = models.CharField(_("finance system reference"), max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["paid_on", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0, amount__lte=AMOUNT_MAX),
                name="payment_amount_bounds",
            ),
            models.UniqueConstraint(
                fields=["settlement", "finance_reference"], name="payment_unique_reference"
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.pk}"


class BankDetails(models.Model):
    """Where the patient asks to be paid. The account fields are encrypted at rest (see
    resolution/encryption.py); pages show them masked, and every view is audited."""

    claim = models.OneToOneField(
        "intake.Claim", on_delete=models.CASCADE, related_name="bank_details"
    )
    account_name_encrypted = models.TextField()
    sort_code_encrypted = models.TextField()
    account_number_encrypted = models.TextField()
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    given_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("bank details")
        verbose_name_plural = _("bank details")

    def __str__(self) -> str:
        return f"{self.claim} bank details"


class Reserve(models.Model):
    """The adjuster's estimate of what the claim will cost, kept as a history: each change has a
    reason, and the latest row is the current reserve."""

    claim = models.ForeignKey("intake.Claim", on_delete=models.CASCADE, related_name="reserves")
    amount = models.DecimalField(_("reserve"), **MONEY)
    reason = models.CharField(_("reason for the change"), max_length=500)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-set_at", "-id"]
        get_latest_by = "set_at"
        verbose_name = _("reserve")
        verbose_name_plural = _("reserves")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0, amount__lte=AMOUNT_MAX),
                name="reserve_amount_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim} reserve {self.amount}"


class ReviewOutcome(models.TextChoices):
    UPHELD = "upheld", _("Decision upheld")
    CHANGED = "changed", _("Decision changed")


class Review(models.Model):
    """A patient's request to have a decision looked at again, by a different adjuster from the
    one who made it (four eyes), by its own date."""

    claim = models.ForeignKey("intake.Claim", on_delete=models.CASCADE, related_name="reviews")
    #: The status reviewed (denied, settled or closed): an upheld decision returns there.
    decision_status = models.CharField(max_length=30)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    reasons = models.TextField(_("why the decision should be reviewed"), max_length=5000)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decide_by = models.DateField(_("decide by"))
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=ReviewOutcome.choices, blank=True
    )
    outcome_reasons = models.TextField(_("reasons for the outcome"), max_length=5000, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            # One review open at a time on a claim.
            models.UniqueConstraint(
                fields=["claim"],
                condition=models.Q(outcome=""),
                name="review_one_open_per_claim",
            ),
            # Four eyes, held by the database as well as by the service.
            models.CheckConstraint(
                condition=models.Q(reviewer__isnull=True)
                | models.Q(decided_by__isnull=True)
                | ~models.Q(reviewer=models.F("decided_by")),
                name="review_by_someone_else",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim} review {self.pk}"
