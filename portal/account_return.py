"""Where a person was going before they had an account: kept in their session from sign-up,
through the email confirmation and the sign-in after it, and (for roles that need a second
factor) through enrolling one.

allauth carries `next` through the sign-up form, but the confirmation link starts a new visit:
without this an advocate invited by email would have to open the invitation link again."""

from allauth.account.adapter import get_adapter

RETURN_TO_SESSION_KEY = "portal_return_to"


def return_to_remember(request, url: str | None) -> None:
    """Keep `url` for after sign-in when it is a safe address on this portal."""
    if url and get_adapter(request).is_safe_url(url):
        request.session[RETURN_TO_SESSION_KEY] = url


def return_to_peek(request) -> str | None:
    """The remembered address, still kept; None when there is none or it is no longer safe."""
    url = request.session.get(RETURN_TO_SESSION_KEY)
    if url and get_adapter(request).is_safe_url(url):
        return url
    return None


def return_to_forget(request) -> None:
    request.session.pop(RETURN_TO_SESSION_KEY, None)
