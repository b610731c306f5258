"""The access policy: who may see or change what, decided in one place per object kind.

Selectors call these functions and nothing else decides access. A visibility rule is a queryset
filter, so the same rule serves a single object (`..._get_for_user`) and a list. A refused access
answers 404, so a person cannot learn that an object they may not see exists, and is audited.
"""

from typing import NoReturn

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from documents.models import Document
from intake.lifecycle import LIFECYCLE, Actor
from intake.models import Authority, Claim, ClaimStatus
from notifications.models import Channel, Notification
from portal.models import AuditAction, Insurer, Role, User
from portal.services import audit_event_record


def refuse(*, user: User, object_type: str, object_id: object, reason: str) -> NoReturn:
    """Record a refused access and answer 'not found', for objects the person may not know of."""
    audit_refusal(user=user, object_type=object_type, object_id=object_id, reason=reason)
    raise Http404


def forbid(
    *, user: User, object_type: str, object_id: object = "", reason: str, message: str = ""
) -> NoReturn:
    """Record a refused access and answer 'forbidden', where the object's existence is no secret.
    `message`, when given, tells the person why in words they can act on (the 403 page shows it)."""
    audit_refusal(user=user, object_type=object_type, object_id=object_id, reason=reason)
    raise PermissionDenied(message)


def audit_refusal(*, user: User | None, object_type: str, object_id: object, reason: str) -> None:
    """Record a refused access or change without answering for the caller."""
    audit_event_record(
        action=AuditAction.ACCESS_REFUSED,
        actor=user,
        object_type=object_type,
        object_id=str(object_id),
        detail={"reason": reason},
    )


def may_use_admin_site(user: User) -> bool:
    """Only active administrators use the admin site (MFA is enforced by middleware)."""
    return user.is_authenticated and user.is_active and user.is_staff


def insurers_visible_to(user: User) -> QuerySet[Insurer]:
    """Insurer staff see their own insurer; administrators see every insurer."""
    if not user.is_authenticated or not user.is_active:
        return Insurer.objects.none()
    if user.role == Role.ADMINISTRATOR:
        return Insurer.objects.all()
    if user.is_insurer_staff:
        return Insurer.objects.filter(pk=user.insurer_id)
    return Insurer.objects.none()


# --- Advocates' authorities ---------------------------------------------------------------------
# An advocate reaches a claim only through an authority in force (accepted, not revoked, not past
# its end date) over that claim or over all of its patient's claims; the scope flags open more
# than its status. Checked afresh on every request, so a revocation ends access at once.


def authorised_claims(user: User, *, scope: str | None = None) -> QuerySet[Claim]:
    """Claims `user` holds an authority in force over, with the `scope` flag set when given."""
    authorities = Authority.objects.in_force().filter(advocate_id=user.pk)
    if scope is not None:
        authorities = authorities.filter(**{scope: True})
    covering = authorities.covering(claim_id=OuterRef("pk"), claimant_id=OuterRef("claimant_id"))
    return Claim.objects.filter(Exists(covering))


def advocate_may(user: User, claim: Claim, scope: str) -> bool:
    """Whether `user` is an advocate whose authority over `claim` includes `scope` (a patient's
    draft is never theirs, only one they are filing)."""
    return (
        user.is_authenticated
        and user.is_active
        and user.role == Role.ADVOCATE
        and (not claim.is_draft or claim.filed_by_id == user.pk)
        and authorised_claims(user, scope=scope).filter(pk=claim.pk).exists()
    )


def advocates_receiving_updates(claim: Claim) -> QuerySet[User]:
    """Advocates whose authority over `claim` is in force and includes updates."""
    authorities = (
        Authority.objects.in_force()
        .filter(receives_updates=True)
        .covering(claim_id=claim.pk, claimant_id=claim.claimant_id)
    )
    return User.objects.filter(
        role=Role.ADVOCATE, is_active=True, pk__in=authorities.values("advocate_id")
    )


def advocate_may_file_on_behalf(user: User) -> bool:
    """Only advocates whose identity an administrator has verified start claims for patients."""
    return user.is_authenticated and user.is_active and user.is_verified_advocate


def authorities_may_manage(user: User) -> bool:
    """Patients invite advocates and change or end their own authorities."""
    return user.is_authenticated and user.is_active and user.role == Role.PATIENT


def authorities_visible_to(user: User) -> QuerySet[Authority]:
    """A patient sees the authorities they granted; an advocate those they hold."""
    if not user.is_authenticated or not user.is_active:
        return Authority.objects.none()
    if user.role == Role.PATIENT:
        return Authority.objects.filter(patient=user)
    if user.role == Role.ADVOCATE:
        return Authority.objects.filter(advocate=user)
    return Authority.objects.none()


# --- Claims -------------------------------------------------------------------------------------
# Who may make each move of the lifecycle is the lifecycle table's (intake/lifecycle.py); the
# kinds of actor are named here too for the callers of claim_actor_kind.
CLAIMANT, ADVOCATE, INSURER, SYSTEM = Actor.CLAIMANT, Actor.ADVOCATE, Actor.INSURER, Actor.SYSTEM


def claims_visible_to(user: User) -> QuerySet[Claim]:
    """Claims `user` may see: their own as a patient; as an advocate, those an authority in force
    covers; as insurer staff, the claims assigned to them (adjusters) or routed to their insurer
    (triage leads). A draft is its patient's alone, or the advocate's who is filing it for them."""
    if not user.is_authenticated or not user.is_active:
        return Claim.objects.none()
    if user.role == Role.PATIENT:
        return Claim.objects.filter(claimant=user)
    submitted = Claim.objects.exclude(status=ClaimStatus.DRAFT)
    if user.role == Role.ADVOCATE:
        return authorised_claims(user).filter(~Q(status=ClaimStatus.DRAFT) | Q(filed_by=user))
    if user.role == Role.ADJUSTER:
        return submitted.filter(insurer_id=user.insurer_id, assigned_adjuster=user)
    if user.role == Role.TRIAGE_LEAD:
        # Only their insurer's: a claim no insurer owns yet (no coverage, provider not listed)
        # is nobody's until an administrator chooses its insurer (claim_may_choose_insurer).
        return submitted.filter(insurer_id=user.insurer_id)
    return Claim.objects.none()


def claim_actor_kind(user: User | None, claim: Claim) -> str | None:
    """How `user` stands to `claim` when changing it: CLAIMANT, INSURER, SYSTEM or None."""
    if user is None:
        return SYSTEM
    if not user.is_authenticated or not user.is_active:
        return None
    if user.role == Role.PATIENT and claim.claimant_id == user.pk:
        return CLAIMANT
    if user.role == Role.ADVOCATE:
        return ADVOCATE if claims_visible_to(user).filter(pk=claim.pk).exists() else None
    works_for_claims_insurer = user.is_insurer_staff and claim.insurer_id == user.insurer_id
    if works_for_claims_insurer and (
        user.role == Role.TRIAGE_LEAD or claim.assigned_adjuster_id == user.pk
    ):
        return INSURER
    return None


def claim_may_start(user: User) -> bool:
    """Patients start their own claims (verified advocates file for a patient: see
    advocate_may_file_on_behalf)."""
    return user.is_authenticated and user.role == Role.PATIENT


def may_work_claims(user: User) -> bool:
    """The insurer's workspace (queue, claim pages) is for adjusters and triage leads."""
    return user.is_authenticated and user.role in (Role.ADJUSTER, Role.TRIAGE_LEAD)


def may_lead_triage(user: User) -> bool:
    """The triage lead's workspace and routing rules are for triage leads."""
    return user.is_authenticated and user.role == Role.TRIAGE_LEAD


def claim_is_unowned(claim: Claim) -> bool:
    """Waiting in the needs-triage queue with no insurer: only administrators see it."""
    return claim.status == ClaimStatus.NEEDS_TRIAGE and claim.insurer_id is None


def claim_may_choose_insurer(user: User, claim: Claim) -> bool:
    """Administrators give a claim no insurer owns to an insurer; no insurer's staff can, since
    they may not see it (and one insurer must not take another's claim)."""
    return may_use_admin_site(user) and claim_is_unowned(claim)


def claim_may_work(user: User, claim: Claim) -> bool:
    """Insurer staff on the claim: its assigned adjuster, or a triage lead of its insurer."""
    return claim_actor_kind(user, claim) == INSURER


def claim_may_route(user: User, claim: Claim) -> bool:
    """Triage leads assign and reassign the claims of their insurer."""
    return user.role == Role.TRIAGE_LEAD and claim_actor_kind(user, claim) == INSURER


def claim_may_read_notes(user: User, claim: Claim) -> bool:
    """Internal notes stay with the insurer's staff on the claim: never patients or advocates."""
    return claim_may_work(user, claim)


def claim_may_message(user: User, claim: Claim) -> bool:
    """The claim's thread: the patient, an advocate allowed to message, and the insurer's staff
    on the claim."""
    if claim.is_draft:
        return False
    return claim_actor_kind(user, claim) in (CLAIMANT, INSURER) or advocate_may(
        user, claim, "may_message"
    )


def _on_claim_within_scope(user: User, claim: Claim, scope: str) -> bool:
    """For someone who may see `claim` (the caller has checked): everyone on it, except an
    advocate whose authority lacks `scope`."""
    return user.role != Role.ADVOCATE or advocate_may(user, claim, scope)


def claim_may_read_answers(user: User, claim: Claim) -> bool:
    """The patient's own answers (what happened, the harm, losses): everyone on the claim except
    an advocate whose authority shows only its status, unless they are writing the draft."""
    filing_it = claim.is_draft and claim.filed_by_id == user.pk
    return filing_it or _on_claim_within_scope(user, claim, "may_view_documents")


def claim_may_read_thread(user: User, claim: Claim) -> bool:
    """The messages: everyone on the claim except an advocate not allowed to message."""
    return _on_claim_within_scope(user, claim, "may_message")


def claim_may_verify_authority(user: User, claim: Claim) -> bool:
    """The insurer's staff on a claim an advocate filed check its authority form."""
    return claim.authority_to_verify and claim_may_work(user, claim)


def routing_rules_may_edit(user: User, insurer_id) -> bool:
    """Triage leads edit their own insurer's routing rules."""
    return (
        user.role == Role.TRIAGE_LEAD
        and user.insurer_id is not None
        and (user.insurer_id == insurer_id)
    )


def adjusters_visible_to(user: User) -> QuerySet[User]:
    """Triage leads see their own insurer's adjusters; nobody else sees staff lists."""
    if user.is_authenticated and user.role == Role.TRIAGE_LEAD and user.insurer_id:
        return User.objects.filter(role=Role.ADJUSTER, insurer_id=user.insurer_id)
    return User.objects.none()


def claim_may_transition(user: User | None, claim: Claim, to_status: str) -> bool:
    """Whether `user` may move `claim` from its current status to `to_status`."""
    move = LIFECYCLE.get((claim.status, to_status))
    return move is not None and claim_actor_kind(user, claim) in move.actors


def claim_may_submit(user: User, claim: Claim) -> bool:
    """The patient sends their claim; an advocate sends only a claim they filed for the patient."""
    kind = claim_actor_kind(user, claim)
    return kind == CLAIMANT or (kind == ADVOCATE and claim.filed_by_id == user.pk)


def claim_may_edit_draft(user: User, claim: Claim) -> bool:
    """Only the patient who started a draft, or the advocate filing it for them, may change it,
    and only while it is a draft."""
    return claim.is_draft and claim_may_submit(user, claim)


# --- Documents ----------------------------------------------------------------------------------
# Whoever may see a claim may see its documents (the patient, the assigned adjuster, the triage
# leads of the claim's insurer), except advocates, whose authority must include documents. The
# patient, and advocates allowed to, send documents at any time after submission; an advocate
# filing a claim sends the signed authority form with the draft.


def documents_visible_to(user: User) -> QuerySet[Document]:
    """Documents of the claims `user` may see (for an advocate: with documents in scope)."""
    claims = claims_visible_to(user)
    if user.is_authenticated and user.role == Role.ADVOCATE:
        claims = claims.filter(pk__in=authorised_claims(user, scope="may_view_documents"))
    return Document.objects.filter(claim__in=claims)


def documents_may_view(user: User, claim: Claim) -> bool:
    """Whether the case page lists the claim's documents for `user` (who may see the claim)."""
    return _on_claim_within_scope(user, claim, "may_view_documents")


def document_may_upload(user: User, claim: Claim) -> bool:
    """The claim's patient, or an advocate allowed to send documents, once the claim has been
    submitted; the advocate filing a draft sends its authority form before submitting."""
    kind = claim_actor_kind(user, claim)
    if claim.is_draft:
        return kind == ADVOCATE and claim_may_edit_draft(user, claim)
    if kind == CLAIMANT:
        return True
    return kind == ADVOCATE and advocate_may(user, claim, "may_upload_documents")


def document_may_see_problems(user: User, claim: Claim) -> bool:
    """Triage leads of the claim's insurer are shown files that failed or lost their scan."""
    return (
        user.is_authenticated
        and user.role == Role.TRIAGE_LEAD
        and user.insurer_id is not None
        and claim.insurer_id == user.insurer_id
    )


# --- Notifications ------------------------------------------------------------------------------


def notifications_visible_to(user: User) -> QuerySet[Notification]:
    """A person sees their own in-app notifications and nobody else's (administrators read the
    email outbox in the admin site), and only about claims they may still see: an advocate
    whose authority ended no longer reads about the patient's claim."""
    if not user.is_authenticated or not user.is_active:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP).filter(
        Q(claim__isnull=True) | Q(claim__in=claims_visible_to(user))
    )
