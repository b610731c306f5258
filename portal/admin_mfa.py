"""The admin shows people's two-factor authenticators but cannot create or change them.

allauth registers an ordinary admin for Authenticator. An administrator who could add a row for
themselves there would count as enrolled without ever holding a device; factors are added only
through allauth's own pages, which prove the device. Removing another person's authenticator
stays possible, so someone who lost their phone can enrol again."""

from allauth.mfa.admin import AuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django.contrib import admin


class PortalAuthenticatorAdmin(AuthenticatorAdmin):
    # The data holds TOTP secrets (encrypted) and recovery code seeds: never shown.
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Not one's own: a factor is removed by its owner on their account security page,
        # where allauth asks them to prove it first.
        if obj is not None and obj.user_id == request.user.pk:
            return False
        return super().has_delete_permission(request, obj)


def register() -> None:
    """Replace allauth's Authenticator admin (registered by admin autodiscovery) with this one."""
    if admin.site.is_registered(Authenticator):
        admin.site.unregister(Authenticator)
    admin.site.register(Authenticator, PortalAuthenticatorAdmin)
