"""The portal's own refusals, raised by services and selectors through `portal.access.refuse` and
`forbid`; `portal.middleware.AccessRefusalMiddleware` turns them into the 404 or 403 page.

Each carries what its audit row holds (who, which object, why). They are also Django's Http404
and PermissionDenied, so a refusal met outside a request's middleware (a test client's view, a
management command's traceback) still reads as the answer it is.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404


class AccessError(Exception):
    """A refused access: the person, the object and the reason its audit row records."""

    def __init__(
        self, *, user, object_type: str, object_id: object = "", reason: str, message: str = ""
    ):
        super().__init__(message)
        self.user = user
        self.object_type = object_type
        self.object_id = object_id
        self.reason = reason
        self.message = message
        #: Whether the audit row has been written (by `portal.access.audit_refusal`).
        self.audited = False


class NotFound(AccessError, Http404):
    """The object is not for this person to know of: answered as if it did not exist (404)."""


class Refused(AccessError, PermissionDenied):
    """The person may know the object but not do this (403); `message`, when given, says why
    in words they can act on, and the 403 page shows it."""
