"""Where the current request came from, for audit rows written deep inside services.

Set by `RequestContextMiddleware` for the life of one request; empty in workers and commands.
"""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestOrigin:
    ip_address: str | None = None
    user_agent: str = ""


NO_REQUEST = RequestOrigin()
_origin: ContextVar[RequestOrigin | None] = ContextVar("request_origin", default=None)


def origin_from_meta(meta: dict) -> RequestOrigin:
    """Build the origin from a request's META (REMOTE_ADDR as set by the web server)."""
    return RequestOrigin(
        ip_address=meta.get("REMOTE_ADDR") or None,
        user_agent=(meta.get("HTTP_USER_AGENT") or "")[:300],
    )


def current_origin() -> RequestOrigin:
    return _origin.get() or NO_REQUEST


def set_origin(origin: RequestOrigin):
    """Make `origin` current; returns the token to pass to `reset_origin`."""
    return _origin.set(origin)


def reset_origin(token) -> None:
    _origin.reset(token)
