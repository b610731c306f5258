"""Who may see and send a claim's documents (see portal.access for the shape of the names).

Whoever may see a claim may see its documents (the patient, the assigned adjuster, the triage
leads of the claim's insurer), except advocates, whose authority must include documents. The
patient, and advocates allowed to, send documents at any time after submission; an advocate
filing a claim sends the signed authority form with the draft.
"""

from django.db.models import QuerySet

from documents.models import Document
from intake.access import (
    ADVOCATE,
    CLAIMANT,
    authorised_claims,
    claim_actor_kind,
    claim_advocate_may,
    claim_may_edit_draft,
    claim_within_scope,
    claims_visible_to,
)
from intake.models import Claim
from portal.models import Role, User


def documents_visible_to(user: User) -> QuerySet[Document]:
    """Documents of the claims `user` may see (for an advocate: with documents in scope)."""
    claims = claims_visible_to(user)
    if user.is_authenticated and user.role == Role.ADVOCATE:
        claims = claims.filter(pk__in=authorised_claims(user, scope="may_view_documents"))
    return Document.objects.filter(claim__in=claims)


def documents_may_view(user: User, claim: Claim) -> bool:
    """Whether the case page lists the claim's documents for `user` (who may see the claim)."""
    return claim_within_scope(user, claim, "may_view_documents")


def document_may_upload(user: User, claim: Claim) -> bool:
    """The claim's patient, or an advocate allowed to send documents, once the claim has been
    submitted; the advocate filing a draft sends its authority form before submitting."""
    kind = claim_actor_kind(user, claim)
    if claim.is_draft:
        return kind == ADVOCATE and claim_may_edit_draft(user, claim)
    if kind == CLAIMANT:
        return True
    return kind == ADVOCATE and claim_advocate_may(user, claim, "may_upload_documents")


def document_may_see_problems(user: User, claim: Claim) -> bool:
    """Triage leads of the claim's insurer are shown files that failed or lost their scan."""
    return (
        user.is_authenticated
        and user.role == Role.TRIAGE_LEAD
        and user.insurer_id is not None
        and claim.insurer_id == user.insurer_id
    )
