"""Erasure and correction: an account with no submitted claim deleted by its owner, drafts
included; the reason an account with claims cannot be (UK GDPR Art. 17(3)(e)); and a patient's
correction of their contact details after submission, kept as history and told to the adjuster."""

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from documents.models import Document
from intake.models import Claim, ClaimStatus
from notifications.events import EventKind
from notifications.outbox import notification_create_for_event
from portal.models import AuditAction, Role, User
from portal.services import audit_event_record
from privacy.holds import PrivacyError, patient_is_held
from privacy.retention import accounts_anonymise
from privacy.retention_models import AnonymisedClaim, ContactCorrection
from privacy.retention_objects import object_versions_delete

#: Who may delete their own account here; staff accounts are the administrators' to close.
SELF_ERASABLE_ROLES = (Role.PATIENT, Role.ADVOCATE)
#: The contact details a patient corrects: on the account (name) and on each claim.
ACCOUNT_FIELDS = ("full_name",)
CLAIM_FIELDS = ("phone", "address")


def _claims_kept(user: User):
    """The user's claims that are past drafts and not yet anonymised."""
    return (
        Claim.objects.filter(claimant=user)
        .exclude(status=ClaimStatus.DRAFT)
        .exclude(Exists(AnonymisedClaim.objects.filter(claim=OuterRef("pk"))))
    )


def account_erasure_refusal(user: User) -> str:
    """Why `user` cannot delete their account, in words for them; empty when they can."""
    if user.role not in SELF_ERASABLE_ROLES:
        return _(
            "Staff accounts are closed by an administrator of the portal. Ask your "
            "administrator to close it."
        )
    if _claims_kept(user).exists():
        return _(
            "We cannot delete your account while we hold a claim you sent. The insurer needs "
            "the claim's records to settle it and to answer any legal claim about it, which the "
            "law allows us to keep them for (UK GDPR Article 17(3)(e): the establishment, "
            "exercise or defence of legal claims). %(years)d years after the claim ends, your "
            "details, what you wrote and your documents are deleted, and your account with "
            "them. Until then you can correct your contact details, and ask for a copy of "
            "everything we hold."
        ) % {"years": settings.PRIVACY_CLAIM_RETENTION_YEARS}
    if patient_is_held(user):
        return _(
            "We cannot delete your account now: we have been asked to keep your records for a "
            "legal matter. Contact us to find out more."
        )
    return ""


def account_erase(*, user: User) -> int:
    """Delete the owner's drafts with their documents (every stored version), and empty the
    account of everything that names them; returns how many drafts went. Raises PrivacyError
    with account_erasure_refusal's words when it may not.

    The objects are deleted before the rows commit: a store that refuses keeps everything, to
    be tried again; a crash after it leaves rows whose bytes are gone, and asking again finishes."""
    refusal = account_erasure_refusal(user)
    if refusal:
        raise PrivacyError(refusal)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        drafts = list(
            Claim.objects.select_for_update()
            .filter(claimant=locked, status=ClaimStatus.DRAFT)
            .values_list("pk", flat=True)
        )
        keys = list(
            Document.objects.filter(claim_id__in=drafts).values_list("storage_key", flat=True)
        )
        object_versions_delete(keys)
        Document.objects.filter(claim_id__in=drafts).delete()
        for claim_id in drafts:
            audit_event_record(
                action=AuditAction.DELETE,
                actor=locked,
                object_type="intake.claim",
                object_id=str(claim_id),
                detail={"reason": "account erased by its owner"},
            )
        Claim.objects.filter(pk__in=drafts).delete()
        audit_event_record(
            action=AuditAction.DELETE,
            actor=locked,
            obj=locked,
            detail={"erasure": "by the owner", "drafts": len(drafts), "documents": len(keys)},
        )
        accounts_anonymise(user_ids=[locked.pk])
    return len(drafts)


# --- Corrections ----------------------------------------------------------------------------------


def contact_details_current(user: User) -> dict:
    """The name on the account and the phone and address of the latest submitted claim."""
    latest = _claims_kept(user).order_by("-submitted_at", "-created_at").first()
    return {
        "full_name": user.full_name,
        "phone": latest.phone if latest else "",
        "address": latest.address if latest else "",
    }


def contact_may_correct(user: User) -> bool:
    """A patient with at least one submitted claim that is not yet anonymised."""
    return user.is_authenticated and user.role == Role.PATIENT and _claims_kept(user).exists()


def contact_correct(
    *, user: User, full_name: str, phone: str, address: str
) -> list[ContactCorrection]:
    """Correct the patient's name (on the account) and phone and address (on every submitted
    claim of theirs): one history row per claim with the values before and after, an audit row
    naming the fields changed (never their values), and the claim's adjuster told. Raises
    PrivacyError when nothing changed."""
    wanted = {"full_name": full_name.strip(), "phone": phone.strip(), "address": address.strip()}
    corrections: list[ContactCorrection] = []
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        claims = list(_claims_kept(locked).select_for_update(of=("self",)).order_by("pk"))
        for claim in claims:
            before, after = {}, {}
            if locked.full_name != wanted["full_name"]:
                before["full_name"], after["full_name"] = locked.full_name, wanted["full_name"]
            for field in CLAIM_FIELDS:
                if getattr(claim, field) != wanted[field]:
                    before[field], after[field] = getattr(claim, field), wanted[field]
                    setattr(claim, field, wanted[field])
            if not after:
                continue
            claim.save(update_fields=[*CLAIM_FIELDS, "updated_at"])
            correction = ContactCorrection.objects.create(
                claim=claim, corrected_by=locked, before=before, after=after
            )
            corrections.append(correction)
            audit_event_record(
                action=AuditAction.CHANGE,
                actor=locked,
                obj=claim,
                detail={"contact_corrected": sorted(after)},
            )
            notification_create_for_event(
                kind=EventKind.CONTACT_CORRECTED,
                event_key=f"contact-corrected:{correction.pk}",
                claim=claim,
                actor=locked,
            )
        if not corrections:
            raise PrivacyError(
                _("These are the details we already hold: change at least one to correct them.")
            )
        if locked.full_name != wanted["full_name"]:
            locked.full_name = wanted["full_name"]
            locked.save(update_fields=["full_name"])
            audit_event_record(
                action=AuditAction.CHANGE,
                actor=locked,
                obj=locked,
                detail={"contact_corrected": ["full_name"]},
            )
    return corrections


def contact_corrections_of(user: User) -> list[ContactCorrection]:
    """The patient's own corrections, newest first (the history they see)."""
    return list(
        ContactCorrection.objects.filter(claim__claimant=user)
        .select_related("claim")
        .order_by("-corrected_at", "-id")[:100]
    )
