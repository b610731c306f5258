"""Every error of the API as RFC 9457 problem details (`application/problem+json`):

    {"type": ".../problems/validation", "title": "Your request has errors.", "status": 400,
     "detail": "...", "instance": "/api/v1/claims/...", "errors": [{"field": ..., "message": ...}]}

DRF's own exceptions, the portal's refusals (already audited where they were raised), the
services' ClaimError (their message as the detail) and anything unexpected (a 500 with no detail
of what failed: the log has that) all pass through `exception_handler`, DRF's EXCEPTION_HANDLER.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from intake.services import ClaimError, InvalidTransition, TransitionNotPermitted
from portal.errors import AccessError

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://portal.example/api/problems/"


class Problem(exceptions.APIException):
    """An API error of our own with its problem type (the last part of the `type` URI)."""

    problem_type = "error"
    title = "The request cannot be answered."

    def __init__(self, detail: str | None = None):
        super().__init__(detail or self.default_detail)


class PreconditionFailed(Problem):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    problem_type = "stale-etag"
    title = "The claim has changed since you read it."
    default_detail = (
        "The claim has changed since you read it: fetch it again, check the change still makes "
        "sense, and send it with the new ETag in If-Match."
    )


class EndpointPreconditionFailed(PreconditionFailed):
    title = "The webhook endpoint has changed since you read it."
    default_detail = (
        "The endpoint has changed since you read it: fetch it again, check the change still "
        "makes sense, and send it with the new ETag in If-Match."
    )


class PreconditionRequired(Problem):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    problem_type = "precondition-required"
    title = "A header this request needs is missing."
    default_detail = "Send the header this request needs."


class Conflict(Problem):
    status_code = status.HTTP_409_CONFLICT
    problem_type = "conflict"
    title = "The request conflicts with the claim's state."
    default_detail = "The request conflicts with the claim's current state."


class Unprocessable(Problem):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    problem_type = "unprocessable"
    title = "The request cannot be carried out."
    default_detail = "The request cannot be carried out as it stands."


_BY_CLASS = [
    (exceptions.ValidationError, "validation", "Your request has errors."),
    (exceptions.NotAuthenticated, "unauthenticated", "An API key is needed."),
    (exceptions.AuthenticationFailed, "unauthenticated", "The API key is not valid."),
    (exceptions.PermissionDenied, "forbidden", "This request is not allowed."),
    (exceptions.NotFound, "not-found", "Not found."),
    (exceptions.MethodNotAllowed, "method-not-allowed", "Method not allowed."),
    (exceptions.NotAcceptable, "not-acceptable", "Not acceptable."),
    (exceptions.UnsupportedMediaType, "unsupported-media-type", "Unsupported media type."),
    (exceptions.Throttled, "rate-limited", "Too many requests."),
    (exceptions.ParseError, "malformed", "The request body could not be read."),
]


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: the answer as problem+json, whatever went wrong."""
    exc_info = (type(exc), exc, exc.__traceback__)
    exc = _as_drf(exc)
    if exc is None:
        logger.error("Unexpected error in the API", exc_info=exc_info)
        set_rollback()
        return _problem(
            context,
            status=500,
            problem_type="server-error",
            title="Something went wrong on our side.",
            detail="Something went wrong on our side. Try again later; if it keeps happening, "
            "tell the portal's administrator the time of the request.",
        )
    response = drf_exception_handler(exc, context)
    if response is None:  # pragma: no cover - every APIException is handled by DRF
        return None
    problem_type, title = _type_and_title(exc)
    body = _body(
        context,
        status=response.status_code,
        problem_type=problem_type,
        title=title,
        detail=_detail(exc),
    )
    if isinstance(exc, exceptions.ValidationError):
        body["errors"] = list(_field_errors(exc.detail))
    response.data = body
    response.content_type = CONTENT_TYPE
    return response


def _as_drf(exc):
    """The exception as one DRF answers, or None when nothing expected it."""
    if isinstance(exc, AccessError):
        if isinstance(exc, Http404):
            return exceptions.NotFound("Not found.")
        return exceptions.PermissionDenied(exc.message or "This request is not allowed.")
    if isinstance(exc, InvalidTransition):
        return Conflict(str(exc))
    if isinstance(exc, TransitionNotPermitted):
        return exceptions.PermissionDenied(str(exc))
    if isinstance(exc, ClaimError):
        field = getattr(exc, "field", None)
        if field:
            return exceptions.ValidationError({field: [str(exc)]})
        return Unprocessable(str(exc))
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, Http404):
        return exceptions.NotFound("Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        return exc
    return None


def _type_and_title(exc) -> tuple[str, str]:
    if isinstance(exc, Problem):
        return exc.problem_type, exc.title
    for cls, problem_type, title in _BY_CLASS:
        if isinstance(exc, cls):
            return problem_type, title
    return "error", "The request cannot be answered."


def _detail(exc) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "Some fields are missing or wrong: see errors, correct them and send it again."
    detail = exc.detail
    if isinstance(detail, list | dict):
        return " ".join(str(message) for message in _flatten(detail))
    return str(detail)


def _field_errors(detail, prefix: str = ""):
    """{"field": ["message"]} (nested, or a list of such) as [{"field", "message"}] rows."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            yield from _field_errors(
                value, f"{prefix}.{name}" if prefix and name else prefix or name
            )
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                yield from _field_errors(value, f"{prefix}[{index}]")
            else:
                yield {"field": prefix, "message": str(value)}
    else:
        yield {"field": prefix, "message": str(detail)}


def _flatten(detail):
    for row in _field_errors(detail):
        yield row["message"]


def _body(context, *, status: int, problem_type: str, title: str, detail: str) -> dict:
    request = context.get("request")
    return {
        "type": TYPE_BASE + problem_type,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path if request is not None else "",
    }


def _problem(context, *, status: int, problem_type: str, title: str, detail: str) -> Response:
    body = _body(context, status=status, problem_type=problem_type, title=title, detail=detail)
    return Response(body, status=status, content_type=CONTENT_TYPE)
