"""Reads for documents; each goes through the access policy (portal.access)."""

import uuid

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from documents.models import Document
from intake.models import Claim
from portal import access
from portal.models import User


def document_get_for_user(*, user: User, document_id: uuid.UUID) -> Document:
    """Return the document if `user` may see its claim's documents, else raise Http404 (audited).

    Viewing the content is audited where it happens (the download service)."""
    document = (
        access.documents_visible_to(user).select_related("claim").filter(pk=document_id).first()
    )
    if document is None:
        _refuse_document(user=user, document_id=document_id)
    return document


def _refuse_document(*, user: User, document_id: uuid.UUID):
    """404 for a document of a claim the person may not see; 403 with the reason for one whose
    claim they see but whose documents their authority does not include (both audited)."""
    claim_known = access.claims_visible_to(user).filter(documents__pk=document_id).exists()
    if claim_known:
        access.forbid(
            user=user,
            object_type="documents.document",
            object_id=document_id,
            reason="documents not in scope",
            message=_(
                "Your authority from the patient does not include their documents. Ask the "
                "patient to allow you to see them."
            ),
        )
    access.refuse(
        user=user, object_type="documents.document", object_id=document_id, reason="not visible"
    )


def claim_for_document_status(*, user: User, claim_id: uuid.UUID) -> Claim:
    """The claim, for polling its documents' scan states: checked like a view (404 and an audit
    row when refused) but, being a status poll rather than a view, not audited when allowed.
    The person must also be allowed to see the claim's documents (403 otherwise)."""
    claim = access.claims_visible_to(user).filter(pk=claim_id).first()
    if claim is None:
        access.refuse(
            user=user, object_type="intake.claim", object_id=claim_id, reason="not visible"
        )
    if not access.documents_may_view(user, claim):
        access.forbid(
            user=user, object_type="intake.claim", object_id=claim_id, reason="documents status"
        )
    return claim


def document_list_for_claim(*, claim: Claim) -> QuerySet[Document]:
    """The claim's documents, oldest first. Precondition: the caller may see the claim."""
    return Document.objects.filter(claim=claim).order_by("created_at", "id")
