"""Where the current request came from, for audit rows written deep inside services.

Set by `RequestContextMiddleware` for the life of one request; empty in workers and commands.
"""

from contextvars import ContextVar
from dataclasses import dataclass

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied


@dataclass(frozen=True)
class RequestOrigin:
    ip_address: str | None = None
    user_agent: str = ""


NO_REQUEST = RequestOrigin()
_origin: ContextVar[RequestOrigin | None] = ContextVar("request_origin", default=None)


def origin_from_request(request) -> RequestOrigin:
    """The client's address by the same rule allauth's rate limits use (TRUSTED_PROXY_COUNT),
    so the audit log and the limits agree on who is asking."""
    try:
        ip_address = get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        ip_address = None
    return RequestOrigin(
        ip_address=ip_address, user_agent=(request.META.get("HTTP_USER_AGENT") or "")[:300]
    )


def current_origin() -> RequestOrigin:
    return _origin.get() or NO_REQUEST


def set_origin(origin: RequestOrigin):
    """Make `origin` current; returns the token to pass to `reset_origin`."""
    return _origin.set(origin)


def reset_origin(token) -> None:
    _origin.reset(token)
