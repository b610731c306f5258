"""How an API client proves who it is: `Authorization: Api-Key <key>` (djangorestframework-api-key's
key format: an 8-character prefix, a dot, the secret; only the prefix and a hash are stored)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework_api_key.permissions import KeyParser

from api.models import ApiClientKey
from api.services import api_client_mark_used
from portal.access import audit_refusal


class ClientKeyAuthentication(BaseAuthentication):
    """request.user becomes the client's service user and request.auth the ApiClient; an
    unknown, revoked or expired key is refused (401) and audited."""

    keyword = KeyParser.keyword

    def authenticate(self, request):
        key = KeyParser().get_from_authorization(request)
        if key is None:
            return None
        key_row = self._key_row(key)
        client = key_row.client
        user = client.service_user
        reason = self._refusal(key_row)
        if reason:
            self._refuse(reason, prefix=key_row.prefix, user=user)
        api_client_mark_used(client=client, now=timezone.now())
        return user, client

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) when the key is missing or refused.
        return self.keyword

    def _key_row(self, key: str) -> ApiClientKey:
        prefix, _dot, _secret = key.partition(".")
        key_row = (
            ApiClientKey.objects.select_related("client__service_user")
            .filter(prefix=prefix[:8])
            .first()
        )
        if key_row is None or not key_row.is_valid(key):
            self._refuse("unknown API key", prefix=prefix[:8], user=None)
        return key_row

    @staticmethod
    def _refusal(key_row: ApiClientKey) -> str:
        if key_row.revoked:
            return "revoked API key"
        if key_row.has_expired:
            return "expired API key"
        if key_row.client.is_revoked or not key_row.client.service_user.is_active:
            return "revoked API client"
        return ""

    @staticmethod
    def _refuse(reason: str, *, prefix: str, user) -> None:
        audit_refusal(user=user, object_type="api.apiclientkey", object_id=prefix, reason=reason)
        raise exceptions.AuthenticationFailed(
            _(
                "This API key is not valid: it is unknown, revoked or expired. Ask your "
                "administrator for a new one."
            )
        )
