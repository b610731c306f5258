"""System checks of the portal's own settings and data."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError

from portal.demo_credentials import demo_credentials_allowed, demo_credentials_in_use
from portal.models import Role


@register(Tags.security)
def mfa_required_roles_check(app_configs, **kwargs) -> list:
    """MFA_REQUIRED_ROLES names real roles: a typo would silently drop a role's second factor."""
    unknown = sorted(set(settings.MFA_REQUIRED_ROLES) - set(Role.values))
    if not unknown:
        return []
    return [
        Error(
            f"MFA_REQUIRED_ROLES names roles that do not exist: {', '.join(unknown)}.",
            hint=f"Use some of: {', '.join(Role.values)}.",
            id="portal.E001",
        )
    ]


@register(Tags.security, deploy=True)
def demo_credentials_check(app_configs, **kwargs) -> list:
    """With DEBUG off, no account may use the published demo addresses or demo TOTP secret."""
    if demo_credentials_allowed():
        return []
    try:
        in_use = demo_credentials_in_use()
    except DatabaseError:
        return []  # no database yet (a fresh deployment): nothing to find
    if not in_use:
        return []
    return [
        Error(
            f"Demo accounts or the demo two-factor secret are present: {', '.join(in_use)}. "
            "Their password and secret are published in the README, and they cannot sign in "
            "while DEBUG is off.",
            hint="Delete these accounts (or their authenticators) before going live.",
            id="portal.E002",
        )
    ]
