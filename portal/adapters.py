"""allauth policy for the portal: who may sign up and as what, who may sign in, auditing of
refused sign-ins, safe redirects, where a person lands after signing up, error messages in the
portal's words, and encryption of two-factor secrets at rest."""

import base64
import hashlib
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import account_return
from portal.demo_credentials import demo_credentials_allowed, is_demo_user
from portal.mfa import mfa_is_enrolled
from portal.models import AuditAction, Role
from portal.services import audit_event_record


class AccountAdapter(DefaultAccountAdapter):
    # allauth's messages that a person reads beside a form, in the portal's words: say what is
    # wrong and what to do.
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": gettext_lazy(
            "The email address or the password is not right. Check them and try again."
        ),
        "enter_current_password": gettext_lazy("Enter your current password"),
        "incorrect_password": gettext_lazy("The password is not right. Check it and try again."),
        "incorrect_code": gettext_lazy("The code is not right. Check it and try again."),
        "invalid_or_expired_key": gettext_lazy(
            "This link has expired or has already been used. Ask for a new one."
        ),
        "too_many_login_attempts": gettext_lazy(
            "Too many failed sign-in attempts. Wait 5 minutes, then try again."
        ),
        "rate_limited": gettext_lazy(
            "You have sent this too many times in a short while. Wait a few minutes, then try "
            "again."
        ),
        "same_as_current": gettext_lazy("Enter a different address from the one you have now"),
        "duplicate_email": gettext_lazy("This is already your email address"),
        "unverified_primary_email": gettext_lazy(
            "Confirm your email address first: open the link we emailed to you."
        ),
    }

    def save_user(self, request, user, form, commit=True):
        """Self-service accounts are patients or advocates only; advocates start unverified."""
        # Where they were going (an invitation, say) waits in the session for after the email
        # confirmation, which arrives as a new visit without `next`.
        account_return.return_to_remember(request, request.POST.get("next"))
        user = super().save_user(request, user, form, commit=False)
        role = form.cleaned_data.get("role")
        user.role = role if role in (Role.PATIENT, Role.ADVOCATE) else Role.PATIENT
        user.full_name = form.cleaned_data.get("full_name", "").strip()
        user.advocate_verified_at = None
        user.insurer = None
        if commit:
            user.save()
        return user

    def pre_authenticate(self, request, **credentials):
        """Attempts refused by the rate limit never reach authentication: audit them here."""
        try:
            super().pre_authenticate(request, **credentials)
        except forms.ValidationError:
            audit_event_record(
                action=AuditAction.LOGIN_FAILED,
                detail={"login": login_name(credentials), "reason": "rate limited"},
            )
            raise

    def pre_login(self, request, user, **kwargs):
        """Demo accounts and the demo TOTP secret are published: off a developer machine they
        open nothing, whichever way (password, passkey) they are presented."""
        if user.role == Role.API_CLIENT:
            # An API client's service user has no usable password; this refuses it whatever
            # else (a passkey, a social login) is ever presented for it.
            audit_event_record(
                action=AuditAction.LOGIN_FAILED,
                detail={"login": user.email, "reason": "API client"},
            )
            messages.error(request, _("This account is an API client and cannot sign in."))
            return redirect("account_login")
        if not demo_credentials_allowed() and is_demo_user(user):
            audit_event_record(
                action=AuditAction.LOGIN_FAILED,
                detail={"login": user.email, "reason": "demo account"},
            )
            messages.error(
                request,
                _(
                    "Demo accounts can only sign in on a developer machine. Sign in with your "
                    "own account."
                ),
            )
            return redirect("account_login")
        return super().pre_login(request, user, **kwargs)

    def post_login(self, request, user, *, redirect_url=None, **kwargs):
        """After sign-in, go where the person was going before they signed up, unless this sign-in
        names its own `next`. Someone who must enrol in a second factor first keeps it for the
        page after enrolment (see portal.account_views.account_continue)."""
        remembered = account_return.return_to_peek(request)
        if remembered and not redirect_url:
            redirect_url = remembered
        if remembered and not (user.requires_mfa and not mfa_is_enrolled(user)):
            account_return.return_to_forget(request)
        return super().post_login(request, user, redirect_url=redirect_url, **kwargs)

    def get_email_verification_redirect_url(self, email_address) -> str:
        """Signed out (a new sign-up): to sign in, then on to where they were going. Signed in
        (a changed address): back to the account page."""
        remembered = account_return.return_to_peek(self.request)
        if self.request.user.is_authenticated:
            return remembered or reverse("account_overview")
        login = reverse("account_login")
        return f"{login}?{urlencode({'next': remembered})}" if remembered else login

    def get_password_change_redirect_url(self, request) -> str:
        return reverse("account_overview")

    def is_safe_url(self, url: str) -> bool:
        """allauth's own check, and behind HTTPS an absolute `next=` must be https:// too."""
        if not super().is_safe_url(url):
            return False
        return not settings.HTTPS or urlsplit(url).scheme in ("", "https")


def login_name(credentials: dict) -> str:
    """The login typed, for the audit log, only when it looks like an email address: people
    sometimes type their password into the email field."""
    typed = str(credentials.get("email") or credentials.get("username") or "")[:254]
    try:
        validate_email(typed)
    except ValidationError:
        return ""
    return typed


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets are stored encrypted (Fernet), so a database dump does not give them away."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": gettext_lazy(
            "The code is not right. Enter the code your authenticator app shows now."
        ),
        "unverified_email": gettext_lazy(
            "Confirm your email address before you set up two-factor authentication: open the "
            "link we emailed to you."
        ),
    }

    def encrypt(self, text: str) -> str:
        return _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        return _fernet().decrypt(encrypted_text.encode()).decode()


def _fernet() -> Fernet:
    secret = settings.MFA_SECRET_ENCRYPTION_KEY or settings.SECRET_KEY
    # Fernet wants 32 url-safe base64 bytes; a hash gives that from a key of any form.
    digest = hashlib.sha256(f"portal-mfa:{secret}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))
