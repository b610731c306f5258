"""Request-wide policies: where a request came from, session lifetimes, MFA, CSP, cache outages,
refused access."""

import logging
import time
from urllib.parse import urlencode

import redis.exceptions
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import Resolver404, get_resolver, get_urlconf, resolve, reverse
from django.utils.translation import gettext_lazy as _

from portal.access import audit_error
from portal.errors import NotFound, Refused
from portal.mfa import mfa_is_enrolled, mfa_verify_url_name, session_passed_second_factor
from portal.models import AuditAction
from portal.request_context import origin_from_request, reset_origin, set_origin
from portal.services import audit_event_record

SESSION_STARTED_KEY = "portal_session_started"
SESSION_LAST_SEEN_KEY = "portal_session_last_seen"
# Refresh "last seen" at most this often, so a busy session is not rewritten on every request.
LAST_SEEN_RESOLUTION_SECONDS = 30

logger = logging.getLogger(__name__)


class RequestContextMiddleware:
    """Expose the request's IP and user agent to the audit service for this request only."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_origin(origin_from_request(request))
        try:
            return self.get_response(request)
        finally:
            reset_origin(token)


class SessionTimeoutMiddleware:
    """Sign a person out after an idle period and after an absolute lifetime, both configurable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            expired_reason = self._expired_reason(request.session, now=time.time())
            if expired_reason:
                return self._sign_out(request, expired_reason)
        return self.get_response(request)

    @staticmethod
    def _expired_reason(session, *, now: float) -> str | None:
        started = session.setdefault(SESSION_STARTED_KEY, now)
        last_seen = session.get(SESSION_LAST_SEEN_KEY, now)
        if now - started > settings.SESSION_ABSOLUTE_LIFETIME.total_seconds():
            return "absolute_lifetime"
        if now - last_seen > settings.SESSION_IDLE_TIMEOUT.total_seconds():
            return "idle_timeout"
        if now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS or SESSION_LAST_SEEN_KEY not in session:
            session[SESSION_LAST_SEEN_KEY] = now
        return None

    @staticmethod
    def _sign_out(request, reason: str):
        request.portal_logout_reason = reason
        logout(request)
        messages.info(
            request, _("You were signed out to protect your account. Please sign in again.")
        )
        return redirect_to_login(request.get_full_path())


class StaffMfaRequiredMiddleware:
    """People whose role requires a second factor (settings.MFA_REQUIRED_ROLES, and anyone who
    can open the admin) reach nothing until they have enrolled an authenticator app or a passkey
    and their session has passed it. Before that only allauth's own enrolment, re-authentication
    and sign-out pages answer, named one by one: the admin's Authenticator pages also have names
    starting "mfa_", and adding a row there must not count as enrolling."""

    ALWAYS_ALLOWED = frozenset({"account_logout", "health"})
    # A session that has not passed a second factor proves one of the person's own.
    ALLOWED_TO_VERIFY = ALWAYS_ALLOWED | {"mfa_reauthenticate", "mfa_reauthenticate_webauthn"}
    # Nothing enrolled yet: choose a factor and set it up. allauth asks for the password again
    # before any change to factors, so its re-authentication pages are needed too.
    ALLOWED_TO_ENROL = ALLOWED_TO_VERIFY | {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "account_reauthenticate",
        "account_request_reauthentication_code",
        "account_confirm_reauthentication_code",
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not (user.is_authenticated and user.requires_mfa):
            return self.get_response(request)
        name = self._view_name(request)
        if name is None:
            return self.get_response(request)  # answers 404 whatever happens next
        if not mfa_is_enrolled(user):
            if name not in self.ALLOWED_TO_ENROL:
                return self._refuse(request, "not enrolled", "mfa_index", ENROL_MESSAGE)
        elif not session_passed_second_factor(request) and name not in self.ALLOWED_TO_VERIFY:
            return self._refuse(request, "not verified", mfa_verify_url_name(user), VERIFY_MESSAGE)
        return self.get_response(request)

    @staticmethod
    def _view_name(request) -> str | None:
        # The namespaced name: "admin:mfa_authenticator_add" is not allauth's "mfa_..." page.
        try:
            return resolve(request.path_info).view_name
        except Resolver404:
            return None

    @staticmethod
    def _refuse(request, reason: str, url_name: str, message: str):
        audit_event_record(
            action=AuditAction.MFA_REQUIRED,
            actor=request.user,
            detail={"path": request.path[:200], "reason": reason},
        )
        messages.warning(request, message)
        target = reverse(url_name)
        if url_name != "mfa_index" and request.method == "GET":
            target += "?" + urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
        return redirect(target)


ENROL_MESSAGE = _(
    "Your role requires two-factor authentication. Set up an authenticator app or add a "
    "passkey to continue."
)
VERIFY_MESSAGE = _("Enter a code from your authenticator app, or use your passkey, to continue.")


class CacheUnavailableMiddleware:
    """Answer 503 "try again in a few minutes" when the cache cannot be reached.

    Sign-in, sign-up, password reset and two-factor codes count attempts in the cache (allauth's
    rate limits, used TOTP codes). Without it those limits cannot hold, so the portal refuses
    these pages for a while rather than let guessing run unlimited: it fails closed. Pages that
    do not use the cache are not affected."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, CACHE_UNREACHABLE_ERRORS):
            return None
        logger.warning("Cache unreachable on %s: %s", request.path[:200], type(exception).__name__)
        response = render(request, "503.html", status=503)
        response.headers["Retry-After"] = str(CACHE_RETRY_AFTER_SECONDS)
        return response


# Only a cache that cannot be reached: any other error is a bug and must stay a 500.
CACHE_UNREACHABLE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
CACHE_RETRY_AFTER_SECONDS = 120


class AccessRefusalMiddleware:
    """The one place a refused access becomes its page: NotFound the 404 page, Refused the 403
    page with its message; its audit row is written if the refusal has not written it yet."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotFound):
            status = 404
        elif isinstance(exception, Refused):
            status = 403
        else:
            return None
        audit_error(exception)
        # The project's error handlers (Django's by default), as Django's own handler would call.
        handler = get_resolver(get_urlconf()).resolve_error_handler(status)
        return handler(request, exception=exception)


class ContentSecurityPolicyMiddleware:
    """Allow only the portal's own scripts, styles and images: nothing from a CDN, no inline JS."""

    POLICY = (
        "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.POLICY)
        return response
