"""People, organisations and the audit log: what every other app stands on."""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    ADVOCATE = "advocate", _("Patient advocate")
    ADJUSTER = "adjuster", _("Adjuster")
    TRIAGE_LEAD = "triage_lead", _("Triage lead")
    ADMINISTRATOR = "administrator", _("Administrator")
    # The service account of an insurer's system connected through the API (api.ApiClient): it
    # never signs in on the web; its scopes decide what it may do (see intake.access).
    API_CLIENT = "api_client", _("API client")


# Tuples, not sets: the check constraint below is built from INSURER_ROLES, and a set's order
# changes between processes, which would make the migration autodetector see a new constraint.
#: Roles that work for an insurer and must belong to exactly one.
INSURER_ROLES = (Role.ADJUSTER, Role.TRIAGE_LEAD, Role.API_CLIENT)
#: Roles that must enrol in multi-factor authentication before reaching any case or admin page.
MFA_REQUIRED_ROLES = (Role.ADJUSTER, Role.TRIAGE_LEAD, Role.ADMINISTRATOR)
#: Roles open to self-service sign-up.
SIGNUP_ROLES = (Role.PATIENT, Role.ADVOCATE)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("role", Role.PATIENT)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: email is the login name, the role decides what they see."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.PATIENT)
    insurer = models.ForeignKey(
        "portal.Insurer",
        verbose_name=_("insurer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        help_text=_("Adjusters and triage leads belong to exactly one insurer; nobody else does."),
    )
    advocate_verified_at = models.DateTimeField(
        _("advocate verified at"),
        null=True,
        blank=True,
        help_text=_("Set by an administrator once an advocate's identity has been checked."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("admin site access"),
        default=False,
        editable=False,
        help_text=_("Follows the role: administrators only."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="user_insurer_iff_insurer_role",
                condition=(
                    Q(role__in=[r.value for r in INSURER_ROLES], insurer__isnull=False)
                    | (~Q(role__in=[r.value for r in INSURER_ROLES]) & Q(insurer__isnull=True))
                ),
                violation_error_message=_(
                    "Adjusters, triage leads and API clients must belong to an insurer; other "
                    "roles must not."
                ),
            ),
        ]
        permissions = [
            # Held by an API client's service user while its client has the claims:write scope
            # (kept in step by api.services): the access doors let it change its insurer's claims.
            ("change_claims_for_insurer", "May change its insurer's claims through the API"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.email.lower()
        if self.is_superuser and self.role != Role.ADMINISTRATOR:
            # A non-field error: the admin's add form has no superuser field to attach it to.
            raise ValidationError(_("Only administrators can be superusers."))

    def save(self, *args, **kwargs):
        # Admin site access follows from the role alone, so the two can never disagree.
        self.is_staff = self.role == Role.ADMINISTRATOR
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_insurer_staff(self) -> bool:
        return self.role in INSURER_ROLES

    @property
    def requires_mfa(self) -> bool:
        """Whether this person must pass a second factor: by role (settings.MFA_REQUIRED_ROLES),
        and always for anyone who can open the admin."""
        return self.role in settings.MFA_REQUIRED_ROLES or self.is_staff or self.is_superuser

    @property
    def is_verified_advocate(self) -> bool:
        return self.role == Role.ADVOCATE and self.advocate_verified_at is not None


class Insurer(models.Model):
    """An organisation that insures providers and employs adjusters and triage leads."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200, unique=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("insurer")
        verbose_name_plural = _("insurers")

    def __str__(self) -> str:
        return self.name


class Provider(models.Model):
    """A healthcare organisation that patients may claim about."""

    name = models.CharField(_("name"), max_length=200)
    region = models.CharField(_("region"), max_length=100)
    jurisdiction = models.CharField(
        _("jurisdiction"),
        max_length=40,
        default="england-wales",
        help_text=_("Whose limitation rules apply to claims about this provider."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        constraints = [
            models.UniqueConstraint(fields=["name", "region"], name="provider_unique_name_region"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.region})"


class JurisdictionProfile(models.Model):
    """The dates a claim runs to where its provider is (Provider.jurisdiction names the profile):
    when the insurer must acknowledge and answer, how long the patient has to answer an offer and
    to ask for a review. Administrators keep them in the admin; a provider whose jurisdiction has
    no profile takes DEFAULT_JURISDICTION's."""

    code = models.SlugField(
        _("code"), max_length=40, unique=True, help_text=_("As providers name it: england-wales.")
    )
    name = models.CharField(_("name"), max_length=120)
    rules_source = models.CharField(
        _("where the dates come from"),
        max_length=300,
        blank=True,
        help_text=_("The protocol or law, shown to staff beside the dates."),
    )
    days_to_acknowledge = models.PositiveSmallIntegerField(
        _("days to acknowledge a claim"), default=14, validators=[MinValueValidator(1)]
    )
    months_to_respond = models.PositiveSmallIntegerField(
        _("months to give a reasoned response"), default=4, validators=[MinValueValidator(1)]
    )
    days_for_records = models.PositiveSmallIntegerField(
        _("days to provide copies of health records"), default=40, validators=[MinValueValidator(1)]
    )
    days_to_answer_offer = models.PositiveSmallIntegerField(
        _("days the patient has to answer an offer"), default=21, validators=[MinValueValidator(1)]
    )
    days_notice_before_lapse = models.PositiveSmallIntegerField(
        _("days of notice before an offer lapses"), default=7
    )
    months_to_ask_for_review = models.PositiveSmallIntegerField(
        _("months to ask for a review of a decision"), default=1, validators=[MinValueValidator(1)]
    )
    days_to_decide_review = models.PositiveSmallIntegerField(
        _("days to decide a review"), default=28, validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("jurisdiction profile")
        verbose_name_plural = _("jurisdiction profiles")

    def __str__(self) -> str:
        return self.name


class CoverageQuerySet(models.QuerySet):
    def on(self, day):
        """Coverage in force on `day` (start inclusive, open or inclusive end)."""
        return self.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day), starts_on__lte=day)


class Coverage(models.Model):
    """A provider insured by an insurer between two dates; the incident date picks the insurer."""

    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="coverages", verbose_name=_("provider")
    )
    insurer = models.ForeignKey(
        Insurer, on_delete=models.PROTECT, related_name="coverages", verbose_name=_("insurer")
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True, help_text=_("Blank: open."))

    objects = CoverageQuerySet.as_manager()

    class Meta:
        ordering = ["provider__name", "starts_on"]
        verbose_name = _("coverage")
        verbose_name_plural = _("coverages")
        constraints = [
            models.CheckConstraint(
                name="coverage_ends_after_start",
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                violation_error_message=_("Coverage cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        end = self.ends_on.isoformat() if self.ends_on else "open"
        return f"{self.provider} by {self.insurer}, {self.starts_on.isoformat()} to {end}"

    def clean(self) -> None:
        super().clean()
        if not (self.provider_id and self.starts_on):
            return
        overlapping = Coverage.objects.filter(provider_id=self.provider_id).exclude(pk=self.pk)
        overlapping = overlapping.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=self.starts_on))
        if self.ends_on:
            overlapping = overlapping.filter(starts_on__lte=self.ends_on)
        if overlapping.exists():
            raise ValidationError(
                _(
                    "This provider already has coverage for part of these dates; a claim must "
                    "map to exactly one insurer. Shorten or end the other coverage first."
                )
            )


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Signed in")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    LOGOUT = "logout", _("Signed out")
    SESSION_EXPIRED = "session_expired", _("Session expired")
    ACCESS_REFUSED = "access_refused", _("Access refused")
    MFA_REQUIRED = "mfa_required", _("Sent to enrol in two-factor authentication")
    VIEW = "view", _("Viewed")
    CREATE = "create", _("Created")
    CHANGE = "change", _("Changed")
    DELETE = "delete", _("Deleted")


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Audit events are append-only.")

    def delete(self):
        raise TypeError("Audit events are append-only.")


class AuditEvent(models.Model):
    """Append-only record of who did what to which object, when and from where.

    Written only through `portal.services.audit_event_record`. The database refuses updates and
    deletes too (see migration 0002), so neither the admin nor a shell can rewrite history.
    """

    occurred_at = models.DateTimeField(_("occurred at (UTC)"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=40, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    # Identifiers and reasons only: never health details.
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only.")
