"""The access policy: who may see or change what, decided in one place per object kind.

Selectors call these functions and nothing else decides access. A visibility rule is a queryset
filter, so the same rule serves a single object (`..._get_for_user`) and a list. A refused access
answers 404, so a person cannot learn that an object they may not see exists, and is audited.
"""

from typing import NoReturn

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from portal.models import AuditAction, Insurer, Role, User
from portal.services import audit_event_record


def refuse(*, user: User, object_type: str, object_id: object, reason: str) -> NoReturn:
    """Record a refused access and answer 'not found', for objects the person may not know of."""
    _audit_refusal(user=user, object_type=object_type, object_id=object_id, reason=reason)
    raise Http404


def forbid(*, user: User, object_type: str, object_id: object = "", reason: str) -> NoReturn:
    """Record a refused access and answer 'forbidden', where the object's existence is no secret."""
    _audit_refusal(user=user, object_type=object_type, object_id=object_id, reason=reason)
    raise PermissionDenied


def _audit_refusal(*, user: User, object_type: str, object_id: object, reason: str) -> None:
    audit_event_record(
        action=AuditAction.ACCESS_REFUSED,
        actor=user,
        object_type=object_type,
        object_id=str(object_id),
        detail={"reason": reason},
    )


def may_use_admin_site(user: User) -> bool:
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
