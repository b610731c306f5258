"""allauth policy for the portal: who may sign up and as what, auditing of refused sign-ins,
and encryption of two-factor secrets at rest."""

import base64
import hashlib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet
from django import forms
from django.conf import settings

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


def login_name(credentials: dict) -> str:
    return str(credentials.get("email") or credentials.get("username") or "")[:254]


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
