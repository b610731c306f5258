"""Reads for documents; each goes through the access policy (documents/access.py)."""

import uuid

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from documents import access
from documents.models import Document
from intake.access import claims_visible_to
from intake.models import Claim
from intake.selectors import claim_get_for_user
from portal.access import forbid, refuse
from portal.models import User


def document_get_for_user(*, user: User, document_id: uuid.UUID) -> Document:
    """Return the document if `user` may see its claim's documents, else raise NotFound or
    Refused (audited). Viewing the content is audited where it happens (the download service)."""
    document = (
        access.documents_visible_to(user).select_related("claim").filter(pk=document_id).first()
    )
    if document is None:
        _refuse_document(user=user, document_id=document_id)
    return document


def _refuse_document(*, user: User, document_id: uuid.UUID):
    """404 for a document of a claim the person may not see; 403 with the reason for one whose
    claim they see but whose documents their authority does not include (both audited)."""
    claim_known = claims_visible_to(user).filter(documents__pk=document_id).exists()
    if claim_known:
        forbid(
            user=user,
            object_type="documents.document",
            object_id=document_id,
            reason="documents not in scope",
            message=_(
                "Your authority from the patient does not include their documents. Ask the "
                "patient to allow you to see them."
            ),
        )
    refuse(user=user, object_type="documents.document", object_id=document_id, reason="not visible")


def claim_get_for_upload(*, user: User, claim_id: uuid.UUID) -> Claim:
    """The claim, through its one door (audited), if `user` may send documents for it; else
    Refused (403, audited) with what to do about it."""
    claim = claim_get_for_user(user=user, claim_id=claim_id)
    if not access.document_may_upload(user, claim):
        forbid(
            user=user,
            object_type="intake.claim",
            object_id=claim.pk,
            reason="upload",
            message=_(
                "You cannot send documents for this claim. If you act for the patient, ask them "
                "to allow you to send documents."
            ),
        )
    return claim


def document_list_for_user(*, user: User, claim: Claim) -> QuerySet[Document]:
    """The claim's documents, oldest first, for someone who may see the claim (the caller got it
    from claim_get_for_user); Refused (403, audited) when their authority leaves documents out."""
    if not access.documents_may_view(user, claim):
        forbid(user=user, object_type="intake.claim", object_id=claim.pk, reason="documents status")
    return document_list_for_claim(claim=claim)


def document_list_for_claim(*, claim: Claim) -> QuerySet[Document]:
    """The claim's documents, oldest first. Precondition: the caller may see the claim."""
    return Document.objects.filter(claim=claim).order_by("created_at", "id")
