"""The claim (harm report), its statuses and its history (the moves between statuses, with who
may make each, are the lifecycle table in intake/lifecycle.py)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Priority(models.IntegerChoices):
    """How soon the insurer works a claim: set by the routing rule that matched it."""

    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    NEEDS_TRIAGE = "needs_triage", _("Needs triage")
    ASSIGNED = "assigned", _("Assigned")
    UNDER_REVIEW = "under_review", _("Under review")
    INFORMATION_REQUESTED = "information_requested", _("Information requested")
    OFFER_MADE = "offer_made", _("Offer made")
    COUNTER_PROPOSED = "counter_proposed", _("Counter-proposal made")
    OFFER_DECLINED = "offer_declined", _("Offer declined")
    OFFER_LAPSED = "offer_lapsed", _("Offer lapsed")
    SETTLED = "settled", _("Settled")
    DENIED = "denied", _("Denied")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REVIEW_REQUESTED = "review_requested", _("Review requested")


S = ClaimStatus
#: States a patient may withdraw from: after submission and before any decision.
BEFORE_DECISION = (
    S.SUBMITTED,
    S.NEEDS_TRIAGE,
    S.ASSIGNED,
    S.UNDER_REVIEW,
    S.INFORMATION_REQUESTED,
)
#: States of a negotiation: an offer is open, or the patient's answer (or its lapse) is with the
#: insurer, who may revise it.
OFFER_ROUND = (S.OFFER_MADE, S.COUNTER_PROPOSED, S.OFFER_DECLINED, S.OFFER_LAPSED)
#: States in which an adjuster is working the claim (they count towards their capacity); a
#: settled claim stays with them until it is paid.
OPEN_FOR_ADJUSTER = (
    S.ASSIGNED,
    S.UNDER_REVIEW,
    S.INFORMATION_REQUESTED,
    *OFFER_ROUND,
    S.SETTLED,
    S.REVIEW_REQUESTED,
)
#: Decisions a patient may ask to have reviewed, within their jurisdiction's window.
REVIEWABLE = (S.DENIED, S.SETTLED, S.CLOSED)
#: States in which the insurer still owes a decision (the decide-by date runs).
DECISION_PENDING = (S.ASSIGNED, S.UNDER_REVIEW, S.INFORMATION_REQUESTED)


class HarmCategory(models.TextChoices):
    MISDIAGNOSIS = "misdiagnosis", _("Misdiagnosis or missed diagnosis")
    SURGICAL = "surgical", _("Surgery")
    MEDICATION = "medication", _("Medication")
    MATERNITY = "maternity", _("Maternity and birth")
    DELAYED_TREATMENT = "delayed_treatment", _("Delayed treatment")
    CONSENT = "consent", _("Consent")
    OTHER = "other", _("Something else")


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor: you recovered fully within months")
    MODERATE = "moderate", _("Moderate: recovery took longer or is not complete")
    SEVERE = "severe", _("Severe or permanent")
    DEATH = "death", _("The patient died")


class LossKind(models.TextChoices):
    EARNINGS = "earnings", _("Lost earnings")
    TREATMENT = "treatment", _("Treatment and medical costs")
    CARE = "care", _("Care and help at home")
    TRAVEL = "travel", _("Travel")
    OTHER = "other", _("Other costs")


class AuthorityStatus(models.TextChoices):
    """Where a claim filed by an advocate stands with the adjuster's check of the authority form."""

    NOT_NEEDED = "", _("Not needed: filed by the patient")
    TO_VERIFY = "to_verify", _("Authority to verify")
    VERIFIED = "verified", _("Authority verified")
    REJECTED = "rejected", _("Authority rejected")


class Claim(models.Model):
    """A harm report: a draft while the patient writes it, then a claim the insurer works."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("reference"), max_length=20, unique=True, null=True, blank=True)
    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims"
    )
    status = models.CharField(
        _("status"), max_length=30, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT
    )

    # About you
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    address = models.TextField(_("postal address"), max_length=500, blank=True)
    nhs_number = models.CharField(_("NHS or insurance number"), max_length=20, blank=True)

    # The provider
    provider = models.ForeignKey(
        "portal.Provider", on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    provider_not_listed = models.CharField(_("provider not listed"), max_length=200, blank=True)

    # What happened
    incident_date = models.DateField(_("date of the incident"), null=True, blank=True)
    knowledge_date = models.DateField(_("date you found out"), null=True, blank=True)
    harm_category = models.CharField(
        _("kind of harm"), max_length=30, choices=HarmCategory.choices, blank=True
    )
    description = models.TextField(_("what happened"), max_length=5000, blank=True)

    # The harm
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices, blank=True)
    injuries = models.TextField(_("injuries"), max_length=3000, blank=True)
    ongoing_treatment = models.BooleanField(_("still having treatment"), null=True, blank=True)

    # Losses: {LossKind value: amount as a decimal string, or "" when not known}
    losses = models.JSONField(_("financial losses"), default=dict, blank=True)
    claimed_amount = models.DecimalField(
        _("claimed amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    time_off_work_days = models.PositiveIntegerField(_("days off work"), null=True, blank=True)

    # Declaration
    statement_of_truth = models.BooleanField(_("statement of truth"), default=False)
    consent_to_share = models.BooleanField(_("consent to share with the insurer"), default=False)
    consent_to_records = models.BooleanField(_("consent to obtain medical records"), default=False)

    # Kept for triage
    limitation_deadline = models.DateField(_("limitation deadline"), null=True, blank=True)
    insurer = models.ForeignKey(
        "portal.Insurer", on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    assigned_adjuster = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_claims",
    )
    team = models.ForeignKey(
        "triage.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    acknowledge_by = models.DateField(_("acknowledge by"), null=True, blank=True)
    decide_by = models.DateField(_("decide by"), null=True, blank=True)
    # Breaches already alerted ("acknowledge:<date>", "decide:<date>"): one alert per breach.
    overdue_alerts = models.JSONField(default=list, blank=True)

    duplicate_acknowledged = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    draft_reminded_at = models.DateTimeField(null=True, blank=True)

    # Filed by an advocate on the patient's behalf: the adjuster checks the signed authority form
    # before working the claim.
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims_filed_on_behalf",
    )
    authority_status = models.CharField(
        _("authority"), max_length=20, choices=AuthorityStatus.choices, blank=True, default=""
    )
    authority_decision_reason = models.TextField(
        _("why the authority form was accepted or rejected"), max_length=2000, blank=True
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        indexes = [
            models.Index(fields=["claimant", "status"], name="claim_claimant_status_idx"),
            models.Index(fields=["status", "updated_at"], name="claim_status_updated_idx"),
            # The adjuster's queue in its default order (due date, priority, reference): read in
            # index order and stopped after one page, whatever the number of claims.
            models.Index(
                fields=["assigned_adjuster", "decide_by", "-priority", "reference"],
                name="claim_adjuster_queue_idx",
            ),
            # Counting each adjuster's open claims (their load, when routing) from the index.
            models.Index(fields=["assigned_adjuster", "status"], name="claim_adjuster_load_idx"),
            models.Index(fields=["insurer", "team", "status"], name="claim_team_queue_idx"),
            # The insurer's claims list in its default order (received, newest first), read in
            # index order from a keyset page's boundary: its last page costs what its first does.
            models.Index(
                fields=["insurer", "submitted_at", "id"], name="claim_insurer_received_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="claim_reference_once_submitted",
                condition=models.Q(status=ClaimStatus.DRAFT) | models.Q(reference__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"Draft {str(self.id)[:8]}"

    @property
    def is_draft(self) -> bool:
        return self.status == ClaimStatus.DRAFT

    @property
    def can_be_withdrawn(self) -> bool:
        return self.status in BEFORE_DECISION

    @property
    def authority_to_verify(self) -> bool:
        return self.authority_status == AuthorityStatus.TO_VERIFY

    @property
    def provider_display(self) -> str:
        if self.provider_id:
            return str(self.provider)
        return self.provider_not_listed


class ClaimStatusChange(models.Model):
    """One row per transition: from, to, who, why, when."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=30, choices=ClaimStatus.choices)
    to_status = models.CharField(max_length=30, choices=ClaimStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(max_length=2000, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            # A claim's decision (its move into settled or denied, and when): the claims list's
            # "decided" column and its decided-between filter.
            models.Index(
                fields=["claim", "to_status", "occurred_at"], name="status_change_decision_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim}: {self.from_status} -> {self.to_status}"


class ClaimReferenceCounter(models.Model):
    """The last reference number given out in a year; locked while a claim takes the next one,
    so numbers are unique and gap-free (a rolled-back submission gives its number back)."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class ClaimMessage(models.Model):
    """One message in the claim's thread between the patient's side and the insurer's staff."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"), max_length=5000)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at", "id"]

    def __str__(self) -> str:
        return f"{self.claim} message {self.pk}"


class InformationRequest(models.Model):
    """What the adjuster asked the patient for, by when, and when it was answered."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="information_requests")
    message = models.OneToOneField(ClaimMessage, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField(_("reply by"))
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.claim} request {self.pk}"


#: The parts of a patient's case an authority can open to an advocate, beyond its status (which
#: every authority shows): field name on Authority -> what the patient reads when choosing.
AUTHORITY_SCOPES: dict[str, str] = {
    "may_view_documents": _("See what the claim says and its documents"),
    "may_upload_documents": _("Send documents"),
    "may_message": _("Read and send messages to the claims handler"),
    "may_answer_offers": _("Answer offers and ask for a review of a decision"),
    "receives_updates": _("Receive updates by email and in the portal"),
}


class AuthorityQuerySet(models.QuerySet):
    def in_force(self, *, today=None) -> "AuthorityQuerySet":
        """Accepted, not revoked and not past its expiry date (the last day still counts)."""
        today = today or timezone.localdate()
        return self.filter(accepted_at__isnull=False, revoked_at__isnull=True).filter(
            models.Q(expires_on__isnull=True) | models.Q(expires_on__gte=today)
        )

    def covering(self, *, claim_id, claimant_id) -> "AuthorityQuerySet":
        """Authorities over the claim itself or over all of its patient's claims. The ids may be
        values or expressions (OuterRef), so one rule serves one claim and a list of them."""
        return self.filter(
            models.Q(claim_id=claim_id) | models.Q(claim__isnull=True, patient_id=claimant_id)
        )

    def invitations_open(self, *, now=None) -> "AuthorityQuerySet":
        """Invitations sent, not yet accepted, withdrawn or lapsed."""
        return self.filter(
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            invitation_expires_at__gt=now or timezone.now(),
        )


class Authority(models.Model):
    """A patient's mandate to an advocate: over one claim or all of the patient's claims, with a
    scope, until an optional date. It starts as an invitation to an email address and is in force
    once the advocate accepts it; revoking (or withdrawing the invitation) ends it for good."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authorities_granted"
    )
    advocate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="authorities_held",
    )
    #: None: every claim of the patient's, now and later.
    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, null=True, blank=True, related_name="authorities"
    )
    invited_email = models.EmailField(_("advocate's email address"))
    may_view_documents = models.BooleanField(_("see the documents"), default=False)
    may_upload_documents = models.BooleanField(_("send documents"), default=False)
    may_message = models.BooleanField(_("message the claims handler"), default=False)
    receives_updates = models.BooleanField(_("receive updates"), default=False)
    may_answer_offers = models.BooleanField(_("answer offers and ask for reviews"), default=False)
    expires_on = models.DateField(_("ends after"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    invitation_expires_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = AuthorityQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("advocate authority")
        verbose_name_plural = _("advocate authorities")
        indexes = [
            models.Index(fields=["advocate", "revoked_at"], name="authority_advocate_idx"),
            models.Index(fields=["patient", "revoked_at"], name="authority_patient_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="authority_accepted_has_advocate",
                condition=models.Q(accepted_at__isnull=True) | models.Q(advocate__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Authority {str(self.id)[:8]}"

    @property
    def scopes(self) -> list[str]:
        """What the patient opened to the advocate, in words."""
        return [label for field, label in AUTHORITY_SCOPES.items() if getattr(self, field)]

    def state(self, *, now=None) -> str:
        """invited, lapsed, active, expired or ended — for the people reading the lists."""
        now = now or timezone.now()
        if self.revoked_at:
            return "ended"
        if self.accepted_at is None:
            return (
                "invited"
                if self.invitation_expires_at and self.invitation_expires_at > now
                else "lapsed"
            )
        if self.expires_on and self.expires_on < timezone.localdate(now):
            return "expired"
        return "active"
