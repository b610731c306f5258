"""Scopes: each view names the scope each method needs; a client without it is refused (403),
audited. The access doors then decide which claims it reaches."""

from rest_framework.permissions import BasePermission

from api.models import ApiClient
from portal.access import audit_refusal


class HasScope(BasePermission):
    """`required_scopes` on the view: one scope for every method, or a dict by method
    ({"GET": "claims:read", "POST": "claims:write"}). A method missing from the dict is refused,
    so a new method is closed until someone names its scope."""

    message = "This API key's client does not have the scope this request needs."

    def has_permission(self, request, view) -> bool:
        client = request.auth
        if not isinstance(client, ApiClient):
            return False
        scope = required_scope(view, request.method)
        if scope is not None and client.has_scope(scope):
            return True
        self.message = (
            f"This API key's client does not have the scope {scope} this request needs. "
            "Ask the portal's administrator to add it."
            if scope
            else "This method is not open to API clients."
        )
        audit_refusal(
            user=request.user,
            object_type="api.scope",
            object_id=scope or request.method,
            reason=f"missing scope {scope}" if scope else f"no scope for {request.method}",
        )
        return False


def required_scope(view, method: str) -> str | None:
    """The scope `view` asks of `method` (HEAD and OPTIONS as GET)."""
    scopes = getattr(view, "required_scopes", None)
    if isinstance(scopes, str):
        return scopes
    if not scopes:
        return None
    if method in ("HEAD", "OPTIONS"):
        method = "GET"
    return scopes.get(method)
