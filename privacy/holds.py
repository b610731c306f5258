"""Legal holds: who may place and see them, placing and lifting them (both audited), and the one
rule every deletion asks: is this claim, or its patient, held?

A hold is on one claim, or on everything about one patient (every claim of theirs, their drafts
and their account). An administrator places either; a triage lead places holds on their own
insurer's claims only, since a hold on a patient reaches claims at other insurers.
"""

import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.models import Claim
from portal.access import refuse
from portal.models import AuditAction, Role, User
from portal.services import audit_event_record
from privacy.retention_models import LegalHold


class PrivacyError(Exception):
    """A refused privacy action; the message is shown to the person as it is."""


# --- The rule every deletion asks ---------------------------------------------------------------


def held_claims_q(claim_ref: str = "pk", claimant_ref: str = "claimant_id") -> Q:
    """A filter on claims (or, with other refs, on rows pointing at claims) that matches those
    under a hold in force: on the claim itself or on its patient."""
    active = LegalHold.objects.active()
    return Q(Exists(active.filter(claim_id=OuterRef(claim_ref)))) | Q(
        Exists(active.filter(patient_id=OuterRef(claimant_ref)))
    )


def held_claim_ids() -> QuerySet:
    """The ids of every claim under a hold in force (a subquery, for `__in`)."""
    return Claim.objects.filter(held_claims_q()).values("pk")


def claim_is_held(claim: Claim) -> bool:
    return Claim.objects.filter(held_claims_q(), pk=claim.pk).exists()


def patient_is_held(user: User) -> bool:
    """A hold on the patient, or on any claim of theirs (their account goes with their claims)."""
    active = LegalHold.objects.active()
    return active.filter(Q(patient=user) | Q(claim__claimant=user)).exists()


# --- Who may --------------------------------------------------------------------------------------


def holds_may_place(user: User, claim: Claim) -> bool:
    """Administrators, and the triage leads of the claim's insurer."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.ADMINISTRATOR:
        return True
    return (
        user.role == Role.TRIAGE_LEAD
        and user.insurer_id is not None
        and claim.insurer_id == user.insurer_id
    )


def patient_holds_may_place(user: User) -> bool:
    """Only administrators hold everything about a patient: it reaches every insurer's claims."""
    return user.is_authenticated and user.is_active and user.role == Role.ADMINISTRATOR


def holds_visible_to(user: User) -> QuerySet[LegalHold]:
    """Administrators see every hold; a triage lead those on their insurer's claims."""
    holds = LegalHold.objects.select_related("claim", "patient", "placed_by", "lifted_by")
    if not user.is_authenticated or not user.is_active:
        return holds.none()
    if user.role == Role.ADMINISTRATOR:
        return holds
    if user.role == Role.TRIAGE_LEAD and user.insurer_id:
        return holds.filter(claim__insurer_id=user.insurer_id)
    return holds.none()


def hold_get_for_user(*, user: User, hold_id) -> LegalHold:
    """The hold if `user` may see it; else NotFound (audited by the middleware's refusal)."""
    hold = holds_visible_to(user).filter(pk=hold_id).first()
    if hold is None:
        refuse(user=user, object_type="privacy.legalhold", object_id=hold_id, reason="not visible")
    return hold


def claim_holds_read(*, user: User, claim: Claim) -> dict:
    """What the staff claim page shows of holds, in two queries: the holds on this claim (in
    force first), and whether a hold on the whole patient is in force."""
    if not holds_may_place(user, claim):
        return {"visible": False}
    on_claim = list(
        LegalHold.objects.filter(claim=claim)
        .select_related("placed_by", "lifted_by")
        .order_by("lifted_at", "-placed_at")
    )
    on_patient = LegalHold.objects.active().filter(patient_id=claim.claimant_id).exists()
    return {
        "visible": True,
        "holds": on_claim,
        "active": [hold for hold in on_claim if hold.is_active],
        "patient_held": on_patient,
    }


# --- Placing and lifting ------------------------------------------------------------------------


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise PrivacyError(_("Give the reason for the hold, so that others know why it is there."))
    return reason


def legal_hold_place(
    *,
    actor: User,
    reason: str,
    claim: Claim | None = None,
    patient: User | None = None,
    review_on: datetime.date | None = None,
) -> LegalHold:
    """Place a hold on one claim or on one patient, audited. Raises PrivacyError for a person to
    read (no reason, a review date in the past, no right to hold it)."""
    if (claim is None) == (patient is None):
        raise PrivacyError(_("Choose either one claim or one patient to hold."))
    reason = _clean_reason(reason)
    if review_on is not None and review_on < timezone.localdate():
        raise PrivacyError(_("The review date must be today or later."))
    if claim is not None and not holds_may_place(actor, claim):
        refuse(user=actor, object_type="intake.claim", object_id=claim.pk, reason="may not hold")
    if patient is not None and not patient_holds_may_place(actor):
        raise PrivacyError(_("Only an administrator can hold everything about a patient."))
    with transaction.atomic():
        hold = LegalHold.objects.create(
            claim=claim, patient=patient, reason=reason, review_on=review_on, placed_by=actor
        )
        audit_event_record(
            action=AuditAction.CREATE,
            actor=actor,
            obj=hold,
            # Identifiers only: the reason may name a court case or the harm.
            detail={
                "legal_hold": "placed",
                "claim": str(claim.pk) if claim else None,
                "patient": patient.pk if patient else None,
            },
        )
    return hold


def legal_hold_lift(*, actor: User, hold: LegalHold, reason: str) -> LegalHold:
    """Lift a hold in force, with a reason, audited. Precondition: `hold` came from
    hold_get_for_user for `actor` (or the admin site). A hold already lifted stays as it was."""
    reason = (reason or "").strip()
    if not reason:
        raise PrivacyError(_("Give the reason for lifting the hold."))
    if hold.claim_id is None and not patient_holds_may_place(actor):
        raise PrivacyError(_("Only an administrator can lift a hold on a patient."))
    if hold.claim_id is not None and not holds_may_place(actor, hold.claim):
        refuse(
            user=actor, object_type="privacy.legalhold", object_id=hold.pk, reason="may not lift"
        )
    with transaction.atomic():
        locked = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if not locked.is_active:
            raise PrivacyError(_("This hold has already been lifted."))
        locked.lifted_at = timezone.now()
        locked.lifted_by = actor
        locked.lift_reason = reason
        locked.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        audit_event_record(
            action=AuditAction.CHANGE,
            actor=actor,
            obj=locked,
            detail={"legal_hold": "lifted", "claim": str(locked.claim_id or "") or None},
        )
    return locked
