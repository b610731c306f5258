"""allauth policy for the portal: who may sign up and as what, who may sign in, auditing of
refused sign-ins, safe redirects, and encryption of two-factor secrets at rest."""

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
from django.utils.translation import gettext as _

from portal.demo_credentials import demo_credentials_allowed, is_demo_user
from portal.models import AuditAction, Role
from portal.services import audit_event_record


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        """Self-service accounts are patients or advocates only; advocates start unverified."""
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

    def encrypt(self, text: str) -> str:
        return _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        return _fernet().decrypt(encrypted_text.encode()).decode()


def _fernet() -> Fernet:
    secret = settings.MFA_SECRET_ENCRYPTION_KEY or settings.SECRET_KEY
    # Fernet wants 32 url-safe base64 bytes; a hash gives that from a key of any form.
    digest = hashlib.sha256(f"portal-mfa:{secret}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))
