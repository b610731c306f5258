"""Request-wide policies: where a request came from, session lifetimes, staff MFA, CSP."""

import time

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from portal.models import AuditAction
from portal.request_context import origin_from_request, reset_origin, set_origin
from portal.services import audit_event_record

SESSION_STARTED_KEY = "portal_session_started"
SESSION_LAST_SEEN_KEY = "portal_session_last_seen"
# Refresh "last seen" at most this often, so a busy session is not rewritten on every request.
LAST_SEEN_RESOLUTION_SECONDS = 30


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
    """Staff (adjusters, triage leads, administrators) reach nothing but enrolment in two-factor
    authentication, re-entering their password for it, and signing out, until enrolled."""

    # By URL name, so a page added later under /accounts/ is not let through by accident.
    ALLOWED_URL_NAMES = frozenset({"account_logout", "account_reauthenticate", "health"})
    ALLOWED_URL_NAME_PREFIX = "mfa_"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.requires_mfa
            and not self._allowed_before_enrolment(request)
            and not is_mfa_enabled(user)
        ):
            audit_event_record(
                action=AuditAction.MFA_REQUIRED, actor=user, detail={"path": request.path[:200]}
            )
            messages.warning(
                request,
                _(
                    "Your role requires two-factor authentication. Set up an authenticator app "
                    "to continue."
                ),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    def _allowed_before_enrolment(self, request) -> bool:
        try:
            name = resolve(request.path_info).url_name or ""
        except Resolver404:
            return True  # answers 404 whatever happens next
        return name in self.ALLOWED_URL_NAMES or name.startswith(self.ALLOWED_URL_NAME_PREFIX)


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
