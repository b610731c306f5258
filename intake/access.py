"""Who may see and change claims and advocates' authorities (see portal.access for the shape of
the names and how a refusal is answered).

An advocate reaches a claim only through an authority in force (accepted, not revoked, not past
its end date) over that claim or over all of its patient's claims; the scope flags open more
than its status. Checked afresh on every request, so a revocation ends access at once.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from intake.lifecycle import LIFECYCLE, Actor
from intake.models import Authority, Claim, ClaimStatus
from portal.access import admin_site_may_use
from portal.models import Role, User

# The kinds of actor of the lifecycle table (intake/lifecycle.py), for claim_actor_kind's callers.
CLAIMANT, ADVOCATE, INSURER, SYSTEM = Actor.CLAIMANT, Actor.ADVOCATE, Actor.INSURER, Actor.SYSTEM


# --- Advocates' authorities ---------------------------------------------------------------------


def authorised_claims(user: User, *, scope: str | None = None) -> QuerySet[Claim]:
    """Claims `user` holds an authority in force over, with the `scope` flag set when given."""
    authorities = Authority.objects.in_force().filter(advocate_id=user.pk)
    if scope is not None:
        authorities = authorities.filter(**{scope: True})
    covering = authorities.covering(claim_id=OuterRef("pk"), claimant_id=OuterRef("claimant_id"))
    return Claim.objects.filter(Exists(covering))


def claim_advocate_may(user: User, claim: Claim, scope: str) -> bool:
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


def claims_may_file_on_behalf(user: User) -> bool:
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
    if user.role in (Role.TRIAGE_LEAD, Role.API_CLIENT):
        # Only their insurer's: a claim no insurer owns yet (no coverage, provider not listed)
        # is nobody's until an administrator chooses its insurer (claim_may_choose_insurer).
        # An API client is its insurer's system, so it reads what the insurer's lead reads.
        return submitted.filter(insurer_id=user.insurer_id)
    return Claim.objects.none()


def claim_may_view(user: User, claim: Claim) -> bool:
    """Whether `claim` is among the claims `user` may see (claims_visible_to)."""
    return claims_visible_to(user).filter(pk=claim.pk).exists()


def claim_actor_kind(user: User | None, claim: Claim) -> str | None:
    """How `user` stands to `claim` when changing it: CLAIMANT, INSURER, SYSTEM or None."""
    if user is None:
        return SYSTEM
    if not user.is_authenticated or not user.is_active:
        return None
    if user.role == Role.PATIENT and claim.claimant_id == user.pk:
        return CLAIMANT
    if user.role == Role.ADVOCATE:
        return ADVOCATE if claim_may_view(user, claim) else None
    works_for_claims_insurer = user.is_insurer_staff and claim.insurer_id == user.insurer_id
    if works_for_claims_insurer and (
        user.role == Role.TRIAGE_LEAD
        or claim.assigned_adjuster_id == user.pk
        or _api_client_may_change(user, claim)
    ):
        return INSURER
    return None


def _api_client_may_change(user: User, claim: Claim) -> bool:
    """An API client changes its insurer's submitted claims as a triage lead would, only while
    its client holds the claims:write scope (the permission api.services keeps in step)."""
    return (
        user.role == Role.API_CLIENT
        and not claim.is_draft
        and user.has_perm("portal.change_claims_for_insurer")
    )


def claims_may_start(user: User) -> bool:
    """Patients start their own claims (verified advocates file for a patient: see
    claims_may_file_on_behalf)."""
    return user.is_authenticated and user.role == Role.PATIENT


def claims_may_work(user: User) -> bool:
    """The insurer's workspace (queue, claim pages) is for adjusters and triage leads."""
    return user.is_authenticated and user.role in (Role.ADJUSTER, Role.TRIAGE_LEAD)


def claim_is_unowned(claim: Claim) -> bool:
    """Waiting in the needs-triage queue with no insurer: only administrators see it."""
    return claim.status == ClaimStatus.NEEDS_TRIAGE and claim.insurer_id is None


def claim_may_choose_insurer(user: User, claim: Claim) -> bool:
    """Administrators give a claim no insurer owns to an insurer; no insurer's staff can, since
    they may not see it (and one insurer must not take another's claim)."""
    return admin_site_may_use(user) and claim_is_unowned(claim)


def claim_may_work(user: User, claim: Claim) -> bool:
    """Insurer staff on the claim: its assigned adjuster, or a triage lead of its insurer."""
    return claim_actor_kind(user, claim) == INSURER


def claim_may_route(user: User, claim: Claim) -> bool:
    """Triage leads assign and reassign the claims of their insurer (and their insurer's system
    through the API, when it may change claims)."""
    return (
        user.role in (Role.TRIAGE_LEAD, Role.API_CLIENT)
        and claim_actor_kind(user, claim) == INSURER
    )


def claim_may_read_notes(user: User, claim: Claim) -> bool:
    """Internal notes stay with the insurer's staff on the claim: never patients or advocates.
    The insurer's own system (an API client) reads them for every claim it may see."""
    if user.is_authenticated and user.role == Role.API_CLIENT:
        return claim_may_view(user, claim)
    return claim_may_work(user, claim)


def claim_may_message(user: User, claim: Claim) -> bool:
    """The claim's thread: the patient, an advocate allowed to message, and the insurer's staff
    on the claim."""
    if claim.is_draft:
        return False
    return claim_actor_kind(user, claim) in (CLAIMANT, INSURER) or claim_advocate_may(
        user, claim, "may_message"
    )


def claim_may_answer(user: User, claim: Claim) -> bool:
    """An information request is answered by the patient or an advocate allowed to message."""
    return claim_actor_kind(user, claim) == CLAIMANT or claim_advocate_may(
        user, claim, "may_message"
    )


def claim_may_answer_for_patient(user: User, claim: Claim) -> bool:
    """Answering an offer and asking for a review bind the patient: the patient themselves, or an
    advocate whose authority allows it."""
    return claim_actor_kind(user, claim) == CLAIMANT or claim_advocate_may(
        user, claim, "may_answer_offers"
    )


def claim_within_scope(user: User, claim: Claim, scope: str) -> bool:
    """For someone who may see `claim` (the caller has checked): everyone on it, except an
    advocate whose authority lacks `scope`."""
    return user.role != Role.ADVOCATE or claim_advocate_may(user, claim, scope)


def claim_may_read_answers(user: User, claim: Claim) -> bool:
    """The patient's own answers (what happened, the harm, losses): everyone on the claim except
    an advocate whose authority shows only its status, unless they are writing the draft."""
    filing_it = claim.is_draft and claim.filed_by_id == user.pk
    return filing_it or claim_within_scope(user, claim, "may_view_documents")


def claim_may_read_thread(user: User, claim: Claim) -> bool:
    """The messages: everyone on the claim except an advocate not allowed to message."""
    return claim_within_scope(user, claim, "may_message")


def claim_may_verify_authority(user: User, claim: Claim) -> bool:
    """The insurer's staff on a claim an advocate filed check its authority form."""
    return claim.authority_to_verify and claim_may_work(user, claim)


def claim_may_transition(user: User | None, claim: Claim, to_status: str) -> bool:
    """Whether `user` may move `claim` from its current status to `to_status`."""
    move = LIFECYCLE.get((claim.status, to_status))
    if move is None:
        return False
    kind = claim_actor_kind(user, claim)
    if kind == ADVOCATE and move.advocate_scope:
        return claim_advocate_may(user, claim, move.advocate_scope)
    return kind in move.actors


def claim_may_submit(user: User, claim: Claim) -> bool:
    """The patient sends their claim; an advocate sends only a claim they filed for the patient."""
    kind = claim_actor_kind(user, claim)
    return kind == CLAIMANT or (kind == ADVOCATE and claim.filed_by_id == user.pk)


def claim_may_edit_draft(user: User, claim: Claim) -> bool:
    """Only the patient who started a draft, or the advocate filing it for them, may change it,
    and only while it is a draft."""
    return claim.is_draft and claim_may_submit(user, claim)
