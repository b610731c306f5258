"""Writes for the portal app: the audit log and account changes made by administrators."""

from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from portal.models import AuditAction, AuditEvent, Role, User
from portal.request_context import RequestOrigin, current_origin


def audit_event_record(
    *,
    action: AuditAction,
    actor: User | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    detail: dict | None = None,
    origin: RequestOrigin | None = None,
) -> AuditEvent:
    """Append one audit row; the origin defaults to the current request's IP and user agent.

    `detail` holds identifiers and reasons only, never health details.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    origin = origin or current_origin()
    return AuditEvent.objects.create(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        object_type=object_type,
        object_id=str(object_id)[:64],
        ip_address=origin.ip_address,
        user_agent=origin.user_agent,
        detail=detail or {},
    )


def audit_views_record(*, actor: User, objects: list[models.Model], detail: dict) -> None:
    """One VIEW row per object shown on a list page, written in one statement."""
    origin = current_origin()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action=AuditAction.VIEW,
            actor=actor,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            ip_address=origin.ip_address,
            user_agent=origin.user_agent,
            detail=detail,
        )
        for obj in objects
    )


def advocates_verify(*, advocates: QuerySet[User], verified_by: User) -> int:
    """Mark unverified advocates among `advocates` as verified, auditing each; returns the count."""
    to_verify = list(advocates.filter(role=Role.ADVOCATE, advocate_verified_at__isnull=True))
    now = timezone.now()
    with transaction.atomic():
        for advocate in to_verify:
            advocate.advocate_verified_at = now
            advocate.save(update_fields=["advocate_verified_at"])
            audit_event_record(
                action=AuditAction.CHANGE,
                actor=verified_by,
                obj=advocate,
                detail={"change": "advocate verified"},
            )
    return len(to_verify)
