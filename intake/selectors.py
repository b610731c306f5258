"""Reads for claims; each goes through the access policy, and every view of a claim is audited."""

import uuid

from django.db.models import QuerySet

from intake.models import Claim, ClaimMessage, ClaimStatus, ClaimStatusChange, LossKind
from portal import access
from portal.models import AuditAction, User
from portal.services import audit_event_record


def claim_get_for_user(*, user: User, claim_id: uuid.UUID) -> Claim:
    """Return the claim if `user` may see it (audited), else raise Http404 (audited)."""
    claim = (
        access.claims_visible_to(user)
        .select_related("provider", "claimant", "insurer", "assigned_adjuster")
        .filter(pk=claim_id)
        .first()
    )
    if claim is None:
        access.refuse(
            user=user, object_type="intake.claim", object_id=claim_id, reason="not visible"
        )
    audit_event_record(action=AuditAction.VIEW, actor=user, obj=claim)
    return claim


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
