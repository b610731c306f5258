"""Audit rows for events raised by Django's authentication, which the portal does not own."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from portal.models import AuditAction
from portal.services import audit_event_record


@receiver(user_logged_in, dispatch_uid="portal_audit_login")
def audit_login(sender, request, user, **kwargs):
    audit_event_record(action=AuditAction.LOGIN, actor=user, obj=user)


@receiver(user_login_failed, dispatch_uid="portal_audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password; keep only the login name that was tried.
    tried = str(credentials.get("email") or credentials.get("username") or "")[:254]
    audit_event_record(action=AuditAction.LOGIN_FAILED, detail={"login": tried})


@receiver(user_logged_out, dispatch_uid="portal_audit_logout")
def audit_logout(sender, request, user, **kwargs):
    reason = getattr(request, "portal_logout_reason", None)
    audit_event_record(
        action=AuditAction.SESSION_EXPIRED if reason else AuditAction.LOGOUT,
        actor=user,
        obj=user,
        detail={"reason": reason} if reason else {},
    )
