"""Reads for the portal app; each object kind has one door, and the access check is behind it."""

import uuid

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from portal import access
from portal.models import AuditAction, Coverage, Insurer, JurisdictionProfile, Role, User
from portal.services import audit_event_record


def insurer_get_for_user(*, user: User, insurer_id: uuid.UUID) -> Insurer:
    """Return the insurer if `user` may see it (audited), else raise NotFound (audited)."""
    today = timezone.localdate()
    insurer = (
        access.insurers_visible_to(user)
        .prefetch_related(
            Prefetch(
                "coverages",
                queryset=Coverage.objects.on(today).select_related("provider"),
                to_attr="current_coverages",
            ),
            Prefetch("staff", queryset=User.objects.filter(is_active=True).order_by("full_name")),
        )
        .filter(pk=insurer_id)
        .first()
    )
    if insurer is None:
        access.refuse(
            user=user, object_type="portal.insurer", object_id=insurer_id, reason="not visible"
        )
    audit_event_record(action=AuditAction.VIEW, actor=user, obj=insurer)
    return insurer


def insurer_list_for_user(*, user: User) -> QuerySet[Insurer]:
    """Insurers `user` may see, by name."""
    return access.insurers_visible_to(user).order_by("name")


def triage_leads_of(*, insurer_id) -> QuerySet[User]:
    """The active triage leads of an insurer: who is told of its escalations and overdue claims."""
    return User.objects.filter(role=Role.TRIAGE_LEAD, insurer_id=insurer_id, is_active=True)


def jurisdiction_profile(code: str) -> JurisdictionProfile:
    """The dates that apply where a provider is (Provider.jurisdiction): its profile, else the
    DEFAULT_JURISDICTION's, else the built-in defaults (England and Wales) unsaved, so a claim
    always has dates to show."""
    profiles = {
        p.code: p
        for p in JurisdictionProfile.objects.filter(
            code__in={code or "", settings.DEFAULT_JURISDICTION}
        )
    }
    return (
        profiles.get(code)
        or profiles.get(settings.DEFAULT_JURISDICTION)
        or JurisdictionProfile(
            code=settings.DEFAULT_JURISDICTION, name=settings.DEFAULT_JURISDICTION
        )
    )
