"""Audit rows for events raised by Django's authentication and allauth's two-factor checks,
which the portal does not own; and an address proven by a password reset counts as verified."""

from allauth.account.models import EmailAddress
from allauth.account.signals import password_reset
from allauth.mfa.signals import authentication_failed as mfa_authentication_failed
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from portal.adapters import login_name
from portal.models import AuditAction
from portal.services import audit_event_record


@receiver(user_logged_in, dispatch_uid="portal_audit_login")
def audit_login(sender, request, user, **kwargs):
    audit_event_record(action=AuditAction.LOGIN, actor=user, obj=user)


@receiver(user_login_failed, dispatch_uid="portal_audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password; keep only the login name that was tried.
    audit_event_record(action=AuditAction.LOGIN_FAILED, detail={"login": login_name(credentials)})


@receiver(user_logged_out, dispatch_uid="portal_audit_logout")
def audit_logout(sender, request, user, **kwargs):
    reason = getattr(request, "portal_logout_reason", None)
    audit_event_record(
        action=AuditAction.SESSION_EXPIRED if reason else AuditAction.LOGOUT,
        actor=user,
        obj=user,
        detail={"reason": reason} if reason else {},
    )


@receiver(mfa_authentication_failed, dispatch_uid="portal_audit_mfa_failed")
def audit_mfa_failed(sender, request, user, authenticator, **kwargs):
    # Someone who knows the password is guessing second-factor codes, or the owner mistyped.
    audit_event_record(
        action=AuditAction.LOGIN_FAILED,
        actor=user,
        obj=user,
        detail={"second_factor": authenticator.type},
    )


@receiver(password_reset, dispatch_uid="portal_verify_email_on_password_reset")
def verify_email_on_password_reset(sender, request, user, **kwargs):
    # The reset link only reached the account's own inbox, which proves the address: a patient
    # whose account an advocate made takes it over with that link and can sign in at once.
    EmailAddress.objects.filter(user=user, email__iexact=user.email).update(verified=True)
