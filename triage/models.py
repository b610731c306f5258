"""Teams at an insurer. Routing rules, capacity and assignment build on these."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.models import Claim, Priority

# Bounds of every number a triage lead or an administrator types. Enforced by the forms (with
# words a person can act on), the model validators and check constraints, so a row written by any
# other path cannot hold a value routing would choke on (2147483647 business days overflows the
# calendar).
#: Business days to acknowledge or decide: at least one, at most about ten years.
SERVICE_DAYS_MIN, SERVICE_DAYS_MAX = 1, 3_650
#: Days left before the limitation deadline, in a rule's condition.
LIMITATION_DAYS_MAX = 3_650
#: Claimed amounts in a rule's conditions, and offers: from £0, below £1 billion.
AMOUNT_CEILING = Decimal("1000000000")
AMOUNT_MAX = AMOUNT_CEILING - Decimal("0.01")
#: Places in an insurer's ordered list of rules.
POSITION_MIN, POSITION_MAX = 1, 9_999
#: Open claims one adjuster may hold (0: takes no new claims).
CAPACITY_MAX = 1_000


def _between(field: str, low, high) -> models.Q:
    return models.Q(**{f"{field}__gte": low, f"{field}__lte": high})


def _unset_or_between(field: str, low, high) -> models.Q:
    return models.Q(**{f"{field}__isnull": True}) | _between(field, low, high)


class Team(models.Model):
    """A group of an insurer's adjusters that claims are routed to."""

    insurer = models.ForeignKey(
        "portal.Insurer", on_delete=models.PROTECT, related_name="teams", verbose_name=_("insurer")
    )
    name = models.CharField(_("name"), max_length=120)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_teams",
        verbose_name=_("triage lead"),
        limit_choices_to={"role": "triage_lead"},
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="teams",
        verbose_name=_("adjusters"),
        limit_choices_to={"role": "adjuster"},
    )

    class Meta:
        ordering = ["insurer__name", "name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(fields=["insurer", "name"], name="team_unique_name_per_insurer")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.insurer})"

    def clean(self) -> None:
        super().clean()
        if self.lead_id and self.lead.insurer_id != self.insurer_id:
            raise ValidationError({"lead": _("The triage lead must work for the team's insurer.")})


class AdjusterProfile(models.Model):
    """How much work an adjuster takes and which claims fit them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="adjuster_profile",
        limit_choices_to={"role": "adjuster"},
    )
    capacity = models.PositiveIntegerField(
        _("capacity (open claims)"), default=20, validators=[MaxValueValidator(CAPACITY_MAX)]
    )
    regions = models.JSONField(
        _("regions"), default=list, blank=True, help_text=_("Provider regions; empty: any.")
    )
    skills = models.JSONField(
        _("skills"), default=list, blank=True, help_text=_("Kinds of harm; empty: any.")
    )
    on_leave = models.BooleanField(_("on leave"), default=False)
    last_assigned_at = models.DateTimeField(_("last assigned at"), null=True, blank=True)

    class Meta:
        verbose_name = _("adjuster profile")
        constraints = [
            models.CheckConstraint(
                condition=_between("capacity", 0, CAPACITY_MAX), name="profile_capacity_bounds"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.capacity})"

    def fits(self, *, harm_category: str, region: str) -> bool:
        return (not self.skills or harm_category in self.skills) and (
            not self.regions or region in self.regions
        )


class ConflictOfInterest(models.Model):
    """An adjuster who must not handle claims about a provider (a relative works there, say)."""

    adjuster = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conflicts"
    )
    provider = models.ForeignKey("portal.Provider", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [
            models.UniqueConstraint(fields=["adjuster", "provider"], name="conflict_unique_pair")
        ]

    def __str__(self) -> str:
        return f"{self.adjuster} / {self.provider}"


class RoutingRule(models.Model):
    """One rule of an insurer's ordered list: conditions on the claim, then where it goes.

    Empty conditions match anything; the first matching rule (lowest position) wins, and the
    default rule, which matches everything, comes last.
    """

    insurer = models.ForeignKey(
        "portal.Insurer", on_delete=models.CASCADE, related_name="routing_rules"
    )
    position = models.PositiveIntegerField(
        _("position"),
        validators=[MinValueValidator(POSITION_MIN), MaxValueValidator(POSITION_MAX)],
    )
    name = models.CharField(_("name"), max_length=120)
    is_default = models.BooleanField(_("default rule"), default=False)
    # Conditions
    harm_categories = models.JSONField(_("kinds of harm"), default=list, blank=True)
    severities = models.JSONField(_("severities"), default=list, blank=True)
    provider = models.ForeignKey(
        "portal.Provider", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    region = models.CharField(_("provider region"), max_length=100, blank=True)
    min_claimed_amount = models.DecimalField(
        _("claimed amount from"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(AMOUNT_MAX)],
    )
    max_claimed_amount = models.DecimalField(
        _("claimed amount up to"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(AMOUNT_MAX)],
    )
    max_days_to_limitation = models.PositiveIntegerField(
        _("days left before the limitation deadline, at most"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(LIMITATION_DAYS_MAX)],
    )
    # Actions
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="routing_rules")
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    days_to_acknowledge = models.PositiveIntegerField(
        _("business days to acknowledge"),
        default=5,
        validators=[MinValueValidator(SERVICE_DAYS_MIN), MaxValueValidator(SERVICE_DAYS_MAX)],
    )
    days_to_decide = models.PositiveIntegerField(
        _("business days to decide"),
        default=60,
        validators=[MinValueValidator(SERVICE_DAYS_MIN), MaxValueValidator(SERVICE_DAYS_MAX)],
    )

    class Meta:
        ordering = ["insurer", "position"]
        verbose_name = _("routing rule")
        constraints = [
            models.UniqueConstraint(fields=["insurer", "position"], name="rule_unique_position"),
            models.UniqueConstraint(
                fields=["insurer"],
                condition=models.Q(is_default=True),
                name="rule_one_default_per_insurer",
            ),
            models.CheckConstraint(
                condition=_between("position", POSITION_MIN, POSITION_MAX),
                name="rule_position_bounds",
            ),
            models.CheckConstraint(
                condition=_between("days_to_acknowledge", SERVICE_DAYS_MIN, SERVICE_DAYS_MAX),
                name="rule_days_to_acknowledge_bounds",
            ),
            models.CheckConstraint(
                condition=_between("days_to_decide", SERVICE_DAYS_MIN, SERVICE_DAYS_MAX),
                name="rule_days_to_decide_bounds",
            ),
            models.CheckConstraint(
                condition=_unset_or_between("min_claimed_amount", 0, AMOUNT_MAX),
                name="rule_min_claimed_amount_bounds",
            ),
            models.CheckConstraint(
                condition=_unset_or_between("max_claimed_amount", 0, AMOUNT_MAX),
                name="rule_max_claimed_amount_bounds",
            ),
            models.CheckConstraint(
                condition=_unset_or_between("max_days_to_limitation", 0, LIMITATION_DAYS_MAX),
                name="rule_max_days_to_limitation_bounds",
            ),
            models.CheckConstraint(
                condition=models.Q(min_claimed_amount__isnull=True)
                | models.Q(max_claimed_amount__isnull=True)
                | models.Q(min_claimed_amount__lte=models.F("max_claimed_amount")),
                name="rule_claimed_amount_range_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(priority__in=Priority.values), name="rule_priority_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class RoutingRuleChange(models.Model):
    """Every change to a rule: who, when, before and after (None when created or deleted)."""

    insurer = models.ForeignKey("portal.Insurer", on_delete=models.CASCADE, related_name="+")
    rule_id_at_change = models.PositiveBigIntegerField(_("rule id"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"rule {self.rule_id_at_change} changed {self.changed_at:%Y-%m-%d %H:%M}"


class RoutingDecision(models.Model):
    """Why a claim went where it went, in words a triage lead can read."""

    claim = models.ForeignKey(
        "intake.Claim", on_delete=models.CASCADE, related_name="routing_decisions"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    rule = models.ForeignKey(RoutingRule, on_delete=models.SET_NULL, null=True, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, related_name="+")
    adjuster = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.TextField()

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return self.reason


class Holiday(models.Model):
    """A day that is not a business day, besides weekends."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"


class ClaimNote(models.Model):
    """An internal note on a claim: seen only by the insurer's staff on it, never by patients."""

    claim = models.ForeignKey("intake.Claim", on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("note"), max_length=5000)
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["written_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk}"


class ClaimAwaitingInsurer(Claim):
    """The claim as administrators route it in the admin site: those no insurer covers wait
    here for one to be chosen. A proxy, so that the admin action giving a claim to an insurer
    sits with routing, in triage, rather than in intake."""

    class Meta:
        proxy = True
        verbose_name = _("claim awaiting an insurer")
        verbose_name_plural = _("claims awaiting an insurer")
