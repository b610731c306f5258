"""The access policy's ground floor: refusals, their audit rows, and the rules about the portal's
own objects (the admin site, insurers).

Each app decides access to its own objects in its `access.py` (intake: claims and advocates'
authorities; notifications; documents; triage: adjusters and routing rules), and its selectors
are the one door to each object kind. A check is named `<object>_may_<verb>(user, object)`, or
`<objects>_may_<verb>(user)` when no one object is concerned; a visibility rule is a queryset,
`<objects>_visible_to(user)`, so the same rule serves a single object and a list.

A refused access raises `portal.errors.NotFound` (404, so a person cannot learn that an object
they may not see exists) or `Refused` (403, with a message they can act on), audited here;
`portal.middleware.AccessRefusalMiddleware` answers them with the page.
"""

from typing import NoReturn

from django.db.models import QuerySet

from portal.errors import AccessError, NotFound, Refused
from portal.models import AuditAction, Insurer, Role, User
from portal.services import audit_event_record


def refuse(*, user: User, object_type: str, object_id: object, reason: str) -> NoReturn:
    """Record a refused access and answer 'not found', for objects the person may not know of."""
    _raise_audited(NotFound(user=user, object_type=object_type, object_id=object_id, reason=reason))


def forbid(
    *, user: User, object_type: str, object_id: object = "", reason: str, message: str = ""
) -> NoReturn:
    """Record a refused access and answer 'forbidden', where the object's existence is no secret.
    `message`, when given, tells the person why in words they can act on (the 403 page shows it)."""
    refused = Refused(
        user=user, object_type=object_type, object_id=object_id, reason=reason, message=message
    )
    _raise_audited(refused)


def _raise_audited(error: AccessError) -> NoReturn:
    # Written when refused, not when answered: a refusal met in a task or a command is recorded.
    audit_error(error)
    raise error


def audit_error(error: AccessError) -> None:
    """Write the audit row of `error`, once however often it is handled."""
    if not error.audited:
        audit_refusal(
            user=error.user,
            object_type=error.object_type,
            object_id=error.object_id,
            reason=error.reason,
        )
        error.audited = True


def audit_refusal(*, user: User | None, object_type: str, object_id: object, reason: str) -> None:
    """Record a refused access or change without answering for the caller."""
    audit_event_record(
        action=AuditAction.ACCESS_REFUSED,
        actor=user,
        object_type=object_type,
        object_id=str(object_id),
        detail={"reason": reason},
    )


def admin_site_may_use(user: User) -> bool:
    """Only active administrators use the admin site (MFA is enforced by middleware)."""
    return user.is_authenticated and user.is_active and user.is_staff


def insurers_visible_to(user: User) -> QuerySet[Insurer]:
    """Insurer staff see their own insurer; administrators see every insurer."""
    if not user.is_authenticated or not user.is_active:
        return Insurer.objects.none()
    if user.role == Role.ADMINISTRATOR:
        return Insurer.objects.all()
    if user.is_insurer_staff:
        return Insurer.objects.filter(pk=user.insurer_id)
    return Insurer.objects.none()
