"""Reads for notifications; a person only ever reads their own, through the access policy."""

from django.db.models import QuerySet

from notifications import access
from notifications.events import kinds_for_role
from notifications.models import Channel, EmailDigest, Notification, NotificationPreference
from portal.access import refuse
from portal.models import User


def notifications_for_user(*, user: User) -> QuerySet[Notification]:
    """The user's in-app notifications, newest first."""
    return access.notifications_visible_to(user).select_related("claim")


def notification_get_for_user(*, user: User, notification_id: int) -> Notification:
    """One of the user's own notifications, else NotFound (audited)."""
    notification = notifications_for_user(user=user).filter(pk=notification_id).first()
    if notification is None:
        refuse(
            user=user,
            object_type="notifications.notification",
            object_id=notification_id,
            reason="not the recipient",
        )
    return notification


def notification_unread_count(*, user: User) -> int:
    """How many of the user's notifications are unread: one COUNT on an index."""
    return access.notifications_visible_to(user).filter(read_at__isnull=True).count()


def notification_preferences_for_user(*, user: User) -> dict[tuple[str, str], bool]:
    """(kind, channel) -> on, for every kind the user's role hears of; on unless switched off."""
    stored = {
        (p.kind, p.channel): p.enabled for p in NotificationPreference.objects.filter(user=user)
    }
    return {
        (kind, channel): stored.get((kind, channel), True)
        for kind in kinds_for_role(user.role)
        for channel in Channel.values
    }


def notification_digest_enabled(*, user: User) -> bool:
    return EmailDigest.objects.filter(user=user, enabled=True).exists()
