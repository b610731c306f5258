"""Template tags of the account pages: the service's contact details, and where a person was
going before they signed up."""

from django import template
from django.conf import settings

from portal import account_return
from portal.account_selectors import user_agent_describe

register = template.Library()


@register.simple_tag
def service_contact() -> dict:
    """How to reach the people who run the portal (SERVICE_CONTACT_* settings)."""
    return {
        "email": settings.SERVICE_CONTACT_EMAIL,
        "phone": settings.SERVICE_CONTACT_PHONE,
        "hours": settings.SERVICE_CONTACT_HOURS,
    }


@register.simple_tag(takes_context=True)
def account_return_to(context) -> str | None:
    """The page kept from sign-up (an invitation, say) that waits for this person, if any."""
    request = context.get("request")
    return account_return.return_to_peek(request) if request is not None else None


@register.filter
def browser_name(user_agent: str) -> str:
    """ "Firefox on Windows", from a session's User-Agent header."""
    return user_agent_describe(user_agent or "")
