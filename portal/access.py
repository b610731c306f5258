"""The access policy: who may see or change what, decided in one place per object kind.

Selectors call these functions and nothing else decides access. A visibility rule is a queryset
filter, so the same rule serves a single object (`..._get_for_user`) and a list. A refused access
answers 404, so a person cannot learn that an object they may not see exists, and is audited.
"""

from typing import NoReturn

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from documents.models import Document
from intake.models import BEFORE_DECISION, Claim, ClaimStatus
from notifications.models import Channel, Notification
from portal.models import AuditAction, Insurer, Role, User
from portal.services import audit_event_record


def refuse(*, user: User, object_type: str, object_id: object, reason: str) -> NoReturn:
    """Record a refused access and answer 'not found', for objects the person may not know of."""
    audit_refusal(user=user, object_type=object_type, object_id=object_id, reason=reason)
    raise Http404


def forbid(*, user: User, object_type: str, object_id: object = "", reason: str) -> NoReturn:
    """Record a refused access and answer 'forbidden', where the object's existence is no secret."""
    audit_refusal(user=user, object_type=object_type, object_id=object_id, reason=reason)
    raise PermissionDenied


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


# --- Claims -------------------------------------------------------------------------------------
# Who acts on each move of the lifecycle. "claimant" is the claim's patient; "insurer" is the
# adjuster assigned to the claim or a triage lead of the claim's insurer; "system" is the portal
# itself (routing), which passes no user.
CLAIMANT, INSURER, SYSTEM = "claimant", "insurer", "system"
_S = ClaimStatus
TRANSITION_ACTORS: dict[tuple[str, str], frozenset[str]] = {
    (_S.DRAFT, _S.SUBMITTED): frozenset({CLAIMANT}),
    (_S.SUBMITTED, _S.ASSIGNED): frozenset({SYSTEM, INSURER}),
    (_S.SUBMITTED, _S.NEEDS_TRIAGE): frozenset({SYSTEM}),
    (_S.NEEDS_TRIAGE, _S.ASSIGNED): frozenset({SYSTEM, INSURER}),
    (_S.ASSIGNED, _S.UNDER_REVIEW): frozenset({INSURER}),
    (_S.UNDER_REVIEW, _S.INFORMATION_REQUESTED): frozenset({INSURER}),
    (_S.INFORMATION_REQUESTED, _S.UNDER_REVIEW): frozenset({CLAIMANT, INSURER}),
    (_S.UNDER_REVIEW, _S.OFFER_MADE): frozenset({INSURER}),
    (_S.UNDER_REVIEW, _S.DENIED): frozenset({INSURER}),
    (_S.OFFER_MADE, _S.SETTLED): frozenset({INSURER}),
    (_S.SETTLED, _S.CLOSED): frozenset({INSURER}),
    (_S.DENIED, _S.CLOSED): frozenset({INSURER}),
    (_S.DENIED, _S.UNDER_REVIEW): frozenset({INSURER}),
    (_S.CLOSED, _S.UNDER_REVIEW): frozenset({INSURER}),
    **{(state, _S.WITHDRAWN): frozenset({CLAIMANT}) for state in BEFORE_DECISION},
}


def claims_visible_to(user: User) -> QuerySet[Claim]:
    """Claims `user` may see: their own as a patient; as insurer staff, the claims assigned to them
    (adjusters) or routed to their insurer (triage leads). Drafts are the patient's alone."""
    if not user.is_authenticated or not user.is_active:
        return Claim.objects.none()
    if user.role == Role.PATIENT:
        return Claim.objects.filter(claimant=user)
    submitted = Claim.objects.exclude(status=ClaimStatus.DRAFT)
    if user.role == Role.ADJUSTER:
        return submitted.filter(insurer_id=user.insurer_id, assigned_adjuster=user)
    if user.role == Role.TRIAGE_LEAD:
        # Plus the claims no insurer owns yet (no coverage, provider not listed): any triage
        # lead may take one for their insurer from the needs-triage queue.
        return submitted.filter(
            Q(insurer_id=user.insurer_id) | Q(status=ClaimStatus.NEEDS_TRIAGE, insurer__isnull=True)
        )
    return Claim.objects.none()


def claim_actor_kind(user: User | None, claim: Claim) -> str | None:
    """How `user` stands to `claim` when changing it: CLAIMANT, INSURER, SYSTEM or None."""
    if user is None:
        return SYSTEM
    if not user.is_authenticated or not user.is_active:
        return None
    if user.role == Role.PATIENT and claim.claimant_id == user.pk:
        return CLAIMANT
    works_for_claims_insurer = user.is_insurer_staff and claim.insurer_id == user.insurer_id
    if works_for_claims_insurer and (
        user.role == Role.TRIAGE_LEAD or claim.assigned_adjuster_id == user.pk
    ):
        return INSURER
    if user.role == Role.TRIAGE_LEAD and claim_is_unowned(claim):
        return INSURER
    return None


def claim_may_start(user: User) -> bool:
    """Patients start claims (advocates will, for a patient, through their authority)."""
    return user.is_authenticated and user.role == Role.PATIENT


def may_work_claims(user: User) -> bool:
    """The insurer's workspace (queue, claim pages) is for adjusters and triage leads."""
    return user.is_authenticated and user.role in (Role.ADJUSTER, Role.TRIAGE_LEAD)


def may_lead_triage(user: User) -> bool:
    """The triage lead's workspace and routing rules are for triage leads."""
    return user.is_authenticated and user.role == Role.TRIAGE_LEAD


def claim_is_unowned(claim: Claim) -> bool:
    """Waiting in the needs-triage queue with no insurer: any triage lead may take it."""
    return claim.status == ClaimStatus.NEEDS_TRIAGE and claim.insurer_id is None


def claim_may_work(user: User, claim: Claim) -> bool:
    """Insurer staff on the claim: its assigned adjuster, or a triage lead of its insurer."""
    return claim_actor_kind(user, claim) == INSURER


def claim_may_route(user: User, claim: Claim) -> bool:
    """Triage leads assign and reassign the claims of their insurer, and take unowned ones."""
    return user.role == Role.TRIAGE_LEAD and claim_actor_kind(user, claim) == INSURER


def claim_may_read_notes(user: User, claim: Claim) -> bool:
    """Internal notes stay with the insurer's staff on the claim: never patients or advocates."""
    return claim_may_work(user, claim)


def claim_may_message(user: User, claim: Claim) -> bool:
    """The claim's thread: the patient, and the insurer's staff on the claim."""
    return not claim.is_draft and claim_actor_kind(user, claim) in (CLAIMANT, INSURER)


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
    allowed_actors = TRANSITION_ACTORS.get((claim.status, to_status), frozenset())
    return claim_actor_kind(user, claim) in allowed_actors


def claim_may_edit_draft(user: User, claim: Claim) -> bool:
    """Only the patient who started a draft may change it, and only while it is a draft."""
    return claim.is_draft and claim_actor_kind(user, claim) == CLAIMANT


# --- Documents ----------------------------------------------------------------------------------
# Whoever may see a claim may see its documents (the patient, the assigned adjuster, the triage
# leads of the claim's insurer); advocates will join through their authorities. Only the patient
# sends documents, at any time after submission.


def documents_visible_to(user: User) -> QuerySet[Document]:
    """Documents of the claims `user` may see."""
    return Document.objects.filter(claim__in=claims_visible_to(user))


def document_may_upload(user: User, claim: Claim) -> bool:
    """Only the claim's patient sends documents, and only once the claim has been submitted."""
    return not claim.is_draft and claim_actor_kind(user, claim) == CLAIMANT


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
    email outbox in the admin site)."""
    if not user.is_authenticated or not user.is_active:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP)
