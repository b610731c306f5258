"""Reads for claims and authorities; each goes through the access policy (intake/access.py), and
every view of a claim is audited. `claim_get_for_user` is the one door to a single claim."""

import uuid

from django.db.models import F, Min, Q, QuerySet

from intake import access
from intake.advocates.invitations import authority_id_from_token
from intake.models import (
    Authority,
    Claim,
    ClaimMessage,
    ClaimStatus,
    ClaimStatusChange,
    LossKind,
)
from intake.patient_status import STATUSES_NEEDING_ACTION
from portal.access import refuse
from portal.models import AuditAction, JurisdictionProfile, User
from portal.selectors import jurisdiction_profile
from portal.services import audit_event_record


def claim_get_for_user(*, user: User, claim_id: uuid.UUID, record_view: bool = True) -> Claim:
    """Return the claim if `user` may see it, else raise NotFound (audited). The view is audited
    unless `record_view` is False: a status poll shows nothing of the claim itself."""
    claim = (
        access.claims_visible_to(user)
        .select_related("provider", "claimant", "insurer", "assigned_adjuster")
        .filter(pk=claim_id)
        .first()
    )
    if claim is None:
        refuse(user=user, object_type="intake.claim", object_id=claim_id, reason="not visible")
    if record_view:
        audit_event_record(action=AuditAction.VIEW, actor=user, obj=claim)
    return claim


def claim_draft_get_for_user(*, user: User, claim_id: uuid.UUID) -> Claim | None:
    """The draft `user` may change (the view audited), or None once it has been submitted by
    someone who could have; anyone else is refused with NotFound (audited)."""
    claim = claim_get_for_user(user=user, claim_id=claim_id)
    if access.claim_may_edit_draft(user, claim):
        return claim
    if not access.claim_may_submit(user, claim):
        refuse(user=user, object_type="intake.claim", object_id=claim_id, reason="edit")
    return None


def claim_list_for_patient(*, user: User) -> QuerySet[Claim]:
    """The patient's own claims and drafts, newest first."""
    return (
        access.claims_visible_to(user)
        .filter(claimant=user)
        .select_related("provider")
        .order_by("-created_at")
    )


def claim_timeline(*, claim: Claim) -> QuerySet[ClaimStatusChange]:
    """The claim's status changes, oldest first."""
    return claim.status_changes.select_related("actor").order_by("occurred_at", "id")


def claim_duplicates(*, claim: Claim) -> QuerySet[Claim]:
    """The patient's other live claims about the same provider and incident date."""
    if not claim.incident_date or not (claim.provider_id or claim.provider_not_listed):
        return Claim.objects.none()
    same_provider = (
        {"provider_id": claim.provider_id}
        if claim.provider_id
        else {"provider_not_listed__iexact": claim.provider_not_listed}
    )
    return (
        Claim.objects.filter(
            claimant_id=claim.claimant_id, incident_date=claim.incident_date, **same_provider
        )
        .exclude(pk=claim.pk)
        .exclude(status=ClaimStatus.WITHDRAWN)
    )


def claim_messages(*, claim: Claim) -> QuerySet[ClaimMessage]:
    """The claim's thread, oldest first (the caller has already seen the claim through
    claim_get_for_user)."""
    return claim.messages.select_related("author").order_by("sent_at", "id")


def claim_losses_for_display(*, claim: Claim) -> list[tuple[str, str]]:
    """(kind in words, amount or "") for each loss the patient listed."""
    return [(LossKind(kind).label, amount) for kind, amount in claim.losses.items()]


def claim_open_information_request(*, claim: Claim):
    """The request still waiting for the patient's answer, if any."""
    return (
        claim.information_requests.filter(answered_at__isnull=True)
        .select_related("message")
        .first()
    )


# --- Advocates ----------------------------------------------------------------------------------

#: The advocate dashboard's status filters.
FINISHED = (ClaimStatus.SETTLED, ClaimStatus.CLOSED, ClaimStatus.WITHDRAWN)
STATUS_FILTERS = {
    "action": Q(status__in=STATUSES_NEEDING_ACTION),
    "open": ~Q(status__in=FINISHED),
    "finished": Q(status__in=FINISHED),
}


def claim_list_for_advocate(
    *, user: User, status: str = "", client_id: str = "", reference: str = ""
) -> QuerySet[Claim]:
    """The claims of every client who authorised `user`, filtered, with the reply-by date of any
    open information request (`reply_by`); most recently updated first."""
    claims = access.claims_visible_to(user).exclude(status=ClaimStatus.DRAFT)
    if status in STATUS_FILTERS:
        claims = claims.filter(STATUS_FILTERS[status])
    if client_id.isdigit():
        claims = claims.filter(claimant_id=int(client_id))
    if reference.strip():
        claims = claims.filter(reference__iexact=reference.strip())
    return (
        claims.select_related("provider", "claimant")
        .annotate(
            reply_by=Min(
                "information_requests__due_date",
                filter=Q(information_requests__answered_at__isnull=True),
            )
        )
        .order_by("-updated_at", "reference")
    )


def advocate_drafts(*, user: User) -> QuerySet[Claim]:
    """Drafts `user` is filing on patients' behalf."""
    return (
        access.claims_visible_to(user)
        .filter(status=ClaimStatus.DRAFT, filed_by=user)
        .select_related("claimant")
        .order_by("-updated_at")
    )


def advocate_clients(*, user: User) -> QuerySet[User]:
    """Patients with an authority in force for `user` (the dashboard's client filter)."""
    return User.objects.filter(
        pk__in=Authority.objects.in_force().filter(advocate=user).values("patient_id")
    ).order_by("full_name", "pk")


def authorities_ended_for_advocate(*, user: User) -> QuerySet[Authority]:
    """Authorities `user` held that were revoked or ran out, latest first: the advocate is told
    why a client's claims left their dashboard."""
    in_force = Authority.objects.in_force().filter(advocate=user)
    return (
        access.authorities_visible_to(user)
        .filter(accepted_at__isnull=False)
        .exclude(pk__in=in_force.values("pk"))
        # A client who has since authorised them again is no former client.
        .exclude(patient_id__in=in_force.values("patient_id"))
        .select_related("patient", "claim")
        .order_by(F("revoked_at").desc(nulls_last=True), F("expires_on").desc(nulls_last=True))[:20]
    )


def advocates_acting_on(*, claim: Claim) -> QuerySet[Authority]:
    """The authorities in force over `claim` (its own or the patient's all-claims ones), for the
    patient's case page. Precondition: the caller may see the claim."""
    return (
        Authority.objects.in_force()
        .covering(claim_id=claim.pk, claimant_id=claim.claimant_id)
        .select_related("advocate")
        .order_by("created_at")
    )


def authority_get_for_invitation(*, token: str) -> Authority | None:
    """The invitation an emailed link names, or None for a forged, mangled or lapsed link. The
    token is the proof: whoever holds it may read who invites and for what, until accepted."""
    authority_id = authority_id_from_token(token)
    if authority_id is None:
        return None
    return Authority.objects.select_related("patient", "claim").filter(pk=authority_id).first()


def authority_list_for_patient(*, user: User) -> QuerySet[Authority]:
    """The authorities and invitations `user` granted, newest first."""
    return (
        access.authorities_visible_to(user)
        .filter(patient=user)
        .select_related("advocate", "claim")
        .order_by("-created_at")
    )


def authority_get_for_patient(*, user: User, authority_id: uuid.UUID) -> Authority:
    """One authority the patient granted, else NotFound (audited)."""
    authority = (
        access.authorities_visible_to(user)
        .filter(patient=user, pk=authority_id)
        .select_related("advocate", "claim")
        .first()
    )
    if authority is None:
        refuse(
            user=user, object_type="intake.authority", object_id=authority_id, reason="not visible"
        )
    return authority


def claim_jurisdiction_profile(claim: Claim) -> JurisdictionProfile:
    """The dates of the jurisdiction of the claim's provider (the default's when the provider is
    not listed)."""
    return jurisdiction_profile(claim.provider.jurisdiction if claim.provider_id else "")
