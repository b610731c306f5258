"""The demo accounts' published credentials, and where they may be used: on a developer
machine (DEBUG on) only. Kept apart from the seed, which touches every app, so that sign-in and
the system checks can ask "is this a demo credential?" without importing the apps above."""

from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from cryptography.fernet import InvalidToken
from django.conf import settings

from portal.models import Role, User

# Shown in the README. The seed refuses to run unless DEBUG is on, and sign-in refuses these
# accounts and this secret unless DEBUG is on, so they never open anything in production.
DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105 - published on purpose, DEBUG only
# Base32 TOTP secret for the demo accounts that need a second factor: add it to any authenticator
# app, or print the current code with `make totp`. Real people enrol their own secrets.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - as above


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    role: Role
    insurer: str | None = None


NORTHSHIRE = "Northshire Medical Mutual"
CASTLE = "Castle Healthcare Indemnity"

DEMO_ACCOUNTS = [
    DemoAccount("patient@example.com", "Pat Jones", Role.PATIENT),
    DemoAccount("advocate@example.com", "Alex Morgan", Role.ADVOCATE),
    DemoAccount("adjuster@example.com", "Asha Patel", Role.ADJUSTER, NORTHSHIRE),
    DemoAccount("lead@example.com", "Lee Chen", Role.TRIAGE_LEAD, NORTHSHIRE),
    DemoAccount("adjuster@castle.example.com", "Sam Okafor", Role.ADJUSTER, CASTLE),
    DemoAccount("admin@example.com", "Ada Admin", Role.ADMINISTRATOR),
]
DEMO_EMAILS = frozenset(account.email for account in DEMO_ACCOUNTS)


def demo_credentials_allowed() -> bool:
    return settings.DEBUG


def is_demo_user(user: User) -> bool:
    """True when `user` is a demo account or has enrolled the published demo TOTP secret."""
    if user.email.lower() in DEMO_EMAILS:
        return True
    return any(_holds_demo_secret(auth) for auth in _totp_authenticators(user=user))


def demo_credentials_in_use() -> list[str]:
    """The addresses of demo accounts, and of accounts holding the demo TOTP secret."""
    found = set(User.objects.filter(email__in=DEMO_EMAILS).values_list("email", flat=True))
    found.update(auth.user.email for auth in _totp_authenticators() if _holds_demo_secret(auth))
    return sorted(found)


def _totp_authenticators(**filters):
    return Authenticator.objects.filter(type=Authenticator.Type.TOTP, **filters).select_related(
        "user"
    )


def _holds_demo_secret(authenticator: Authenticator) -> bool:
    try:
        return decrypt(authenticator.data["secret"]) == DEMO_TOTP_SECRET
    except (InvalidToken, KeyError):  # encrypted under another key: not the demo secret
        return False
