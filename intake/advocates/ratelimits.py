"""How often one person may invite advocates or file claims for patients: each of these sends
an email to an address they typed, so an unlimited form would let anyone mail anyone.

The attempts are counted by allauth's rate limiter, in the shared cache (so the limit holds
across web processes), with the rates in ACCOUNT_RATE_LIMITS beside allauth's own. A cache that
cannot be reached raises, and the portal answers as for every other page that needs the cache.
"""

from allauth.core import ratelimit
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import ngettext

#: ACCOUNT_RATE_LIMITS keys; per signed-in user.
AUTHORITY_INVITE = "authority_invite"
FILE_ON_BEHALF = "file_on_behalf"

_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def attempt_allowed(request: HttpRequest, *, action: str) -> bool:
    """Count one attempt at `action` by the signed-in user; False once they are over its rate
    (nothing is counted then)."""
    return ratelimit.consume(request, action=action, user=request.user)


def refused(request: HttpRequest, form, *, action: str, message: str) -> bool:
    """Count one attempt at `action`; over its rate, put `message` (with %(wait)s, the longest
    window in words) on the form, which keeps what was typed, and return True."""
    if attempt_allowed(request, action=action):
        return False
    form.add_error(None, message % {"wait": longest_wait(action)})
    return True


def longest_wait(action: str) -> str:
    """The longest window among `action`'s rates, in words ("1 hour"), to say how long to wait."""
    seconds = max(_window_seconds(rate) for rate in settings.ACCOUNT_RATE_LIMITS[action].split(","))
    if seconds >= 86400:
        days = round(seconds / 86400)
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    if seconds >= 3600:
        hours = round(seconds / 3600)
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    minutes = max(1, round(seconds / 60))
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def _window_seconds(rate: str) -> float:
    """The window of one allauth rate such as "10/h/user" or "5/30m"."""
    window = rate.strip().split("/")[1]
    return float(window[:-1] or 1) * _SECONDS[window[-1]]
