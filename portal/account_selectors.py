"""What the account page shows a person about their own account: reads only."""

import re
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession

from portal.models import User


@dataclass(frozen=True)
class AccountSummary:
    email: str
    pending_email: str | None
    has_password: bool
    totp_active: bool
    passkey_count: int
    recovery_codes_unused: int | None
    sessions: list


def account_summary_get(*, user: User) -> AccountSummary:
    """The account page's facts for `user`: a fixed number of queries, plus one check per
    signed-in session (allauth's own purge of sessions that have ended)."""
    addresses = list(EmailAddress.objects.filter(user=user))
    pending = next((a.email for a in addresses if not a.verified and not a.primary), None)
    authenticators = list(Authenticator.objects.filter(user=user))
    recovery = next(
        (a for a in authenticators if a.type == Authenticator.Type.RECOVERY_CODES), None
    )
    sessions = sorted(
        UserSession.objects.purge_and_list(user), key=lambda s: s.created_at, reverse=True
    )
    return AccountSummary(
        email=user.email,
        pending_email=pending if pending and pending.lower() != user.email.lower() else None,
        has_password=user.has_usable_password(),
        totp_active=any(a.type == Authenticator.Type.TOTP for a in authenticators),
        passkey_count=sum(a.type == Authenticator.Type.WEBAUTHN for a in authenticators),
        recovery_codes_unused=len(recovery.wrap().get_unused_codes()) if recovery else None,
        sessions=sessions,
    )


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"))
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def user_agent_describe(user_agent: str) -> str:
    """ "Firefox on Windows" from a browser's User-Agent header, or the header itself when no
    browser it knows is named: people recognise their browser's name, not the header."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), None)
    if browser is None and re.search(r"Version/[\d.]+.*Safari/", user_agent):
        browser = "Safari"
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or user_agent[:80] or "Unknown browser"
