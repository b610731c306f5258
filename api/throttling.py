"""The rate limit per API client (settings.API_RATE_LIMIT): a courtesy that stops a runaway loop
in an insurer's system from slowing the portal for everyone, not a security control (a key
holder is already trusted with its insurer's claims)."""

from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiClient


class ClientRateThrottle(SimpleRateThrottle):
    scope = "api_client"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiClient):
            return None  # the schema and documentation pages are not limited
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
