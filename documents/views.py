"""Document pages: upload (a plain form, or one file per request from the script), the scan
status poll, and downloads through a short-lived presigned URL."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from documents import access, selectors, services
from documents.forms import DocumentUploadForm
from documents.models import Document, ScanStatus
from documents.upload import ACCEPTED_TYPES_SENTENCE, MB, DocumentUploadHandler
from intake import selectors as intake_selectors
from intake.models import Claim
from portal.models import User


def _upload_form(data=None, files=None) -> DocumentUploadForm:
    return DocumentUploadForm(data, files, slots=settings.DOCUMENT_MAX_FILES_PER_REQUEST)


def _limits_context() -> dict:
    return {
        "max_file_mb": settings.DOCUMENT_MAX_FILE_MB,
        "max_file_bytes": settings.DOCUMENT_MAX_FILE_MB * MB,
        "max_files": settings.DOCUMENT_MAX_FILES_PER_REQUEST,
        "accepted_types": ACCEPTED_TYPES_SENTENCE,
    }


def documents_section_context(*, user: User, claim: Claim) -> dict:
    """What the case page needs for its Documents section. Precondition: `user` may see `claim`."""
    may_upload = access.document_may_upload(user, claim)
    shown = access.documents_may_view(user, claim)
    documents = list(selectors.document_list_for_claim(claim=claim)) if shown else []
    problems_shown = access.document_may_see_problems(user, claim)
    return {
        "documents_shown": shown,
        "documents": documents,
        "document_upload_form": _upload_form() if may_upload else None,
        "document_limits": _limits_context(),
        "document_problems_shown": problems_shown,
        "documents_flagged": sum(d.is_flagged for d in documents) if problems_shown else 0,
    }


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def document_json(document: Document) -> dict:
    return {
        "id": str(document.pk),
        "name": document.original_name,
        "category": document.get_category_display(),
        "status": document.scan_status,
        "status_label": document.status_label,
        "message": document.status_message,
        "withdrawn": document.withdrawn_at is not None,
        "download_url": (
            reverse("documents:download", args=[document.pk]) if document.is_downloadable else None
        ),
    }


@csrf_exempt  # checked by _upload_post once the upload handler is in place; see below
@login_required
@require_http_methods(["GET", "POST"])
def document_upload(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    """Upload files to a claim. The access check runs before a byte of the body is read; then the
    streaming handler is installed and the CSRF check runs (reading the form parses the body)."""
    claim = selectors.claim_get_for_upload(user=request.user, claim_id=claim_id)
    if request.method == "GET":
        return _render_upload(request, claim, _upload_form())
    limits = services.upload_limits_for(claim=claim)
    content_length = _content_length(request)
    if content_length is None:
        # Sent in chunks (no Content-Length): Django would read it as an empty form.
        return _refused(
            request,
            claim,
            [
                _(
                    "Your browser sent the files without saying how large they are, so we could "
                    "not receive them. Please send them again; if this keeps happening, try "
                    "another browser or the form without drag and drop."
                )
            ],
            status=411,
        )
    if content_length > limits.max_request_bytes:
        # Refused from the headers alone: nothing of the body is read.
        return _refused(
            request,
            claim,
            [
                _(
                    "These files are too large to send together. You can send up to %(count)d "
                    "files at a time, each up to %(size)d MB."
                )
                % {"count": limits.max_files, "size": limits.max_file_bytes // MB}
            ],
            status=413,
        )
    handler = DocumentUploadHandler(request, limits=limits)
    request.upload_handlers = [handler]
    try:
        return _upload_post(request, claim=claim, handler=handler)
    finally:
        handler.discard()  # whatever was stored and not saved as a document (refusals, CSRF)


@csrf_protect
def _upload_post(request: HttpRequest, *, claim: Claim, handler: DocumentUploadHandler):
    form = _upload_form(request.POST, request.FILES)  # reading these streams the files to S3
    if handler.errors:
        return _refused(request, claim, handler.errors, status=413 if _too_big(handler) else 400)
    if not form.is_valid():
        return _refused(request, claim, [], form=form, status=400)
    try:
        documents = services.document_upload(
            claim=claim, uploader=request.user, uploads=form.uploads()
        )
    except services.DocumentError as error:
        handler.stored = []  # the service has deleted them
        return _refused(request, claim, [str(error)], status=400)
    handler.stored = []  # now owned by their document rows
    if _wants_json(request):
        return JsonResponse({"documents": [document_json(d) for d in documents]}, status=201)
    if claim.is_draft:  # an advocate's authority form, sent before the claim
        messages.success(request, _("Thank you: the authority form has been received."))
        return redirect("intake:claim_check", claim_id=claim.pk)
    messages.success(
        request,
        ngettext(
            "Thank you: %(count)d file received. We check it for viruses before anyone can "
            "open it; this page shows when that is done.",
            "Thank you: %(count)d files received. We check each one for viruses before anyone "
            "can open it; this page shows when that is done.",
            len(documents),
        )
        % {"count": len(documents)},
    )
    return redirect(reverse("intake:claim_detail", args=[claim.pk]) + "#documents-heading")


def _content_length(request: HttpRequest) -> int | None:
    """The body's declared length; None when it has none (chunked) or it is not a number."""
    try:
        length = int(request.META.get("CONTENT_LENGTH", ""))
    except ValueError:
        return None
    return length if length >= 0 else None


def _too_big(handler: DocumentUploadHandler) -> bool:
    return handler.too_large


def _refused(request, claim, errors: list[str], *, status: int, form=None) -> HttpResponse:
    if _wants_json(request):
        if form is not None:
            errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return JsonResponse({"errors": errors}, status=status)
    form = form or _upload_form()
    form.refuse(errors)
    return _render_upload(request, claim, form, status=status)


def _render_upload(request, claim: Claim, form: DocumentUploadForm, status: int = 200):
    return render(
        request,
        "documents/upload.html",
        {"claim": claim, "document_upload_form": form, "document_limits": _limits_context()},
        status=status,
    )


@login_required
@require_GET
def document_status(request: HttpRequest, claim_id: uuid.UUID) -> JsonResponse:
    """The scan state of each of the claim's documents, polled by the case page's script."""
    claim = intake_selectors.claim_get_for_user(
        user=request.user, claim_id=claim_id, record_view=False
    )
    documents = [
        document_json(d) for d in selectors.document_list_for_user(user=request.user, claim=claim)
    ]
    response = JsonResponse(
        {
            "documents": documents,
            "pending": any(d["status"] == ScanStatus.PENDING for d in documents),
        }
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def document_download(request: HttpRequest, document_id: uuid.UUID) -> HttpResponse:
    """Send the person to a presigned URL (valid for a minute) of a clean document, audited."""
    document = selectors.document_get_for_user(user=request.user, document_id=document_id)
    try:
        url = services.document_download_url(document=document, user=request.user)
    except services.DocumentNotReady as error:
        return render(
            request,
            "documents/not_ready.html",
            {"document": document, "message": str(error)},
            status=409,
        )
    response = redirect(url)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
