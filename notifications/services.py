"""Writes of the notification centre: read marks and each person's preferences. The outbox rows
are written by notifications.outbox, sent by notifications.delivery, and gathered into the daily
digest by notifications.digests."""

from django.utils import timezone

from notifications import selectors
from notifications.events import is_mandatory, kinds_for_role
from notifications.models import Channel, EmailDigest, Notification, NotificationPreference, State
from portal.models import AuditAction, User
from portal.services import audit_event_record


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read; anyone else's answers 404 (audited)."""
    notification = selectors.notification_get_for_user(user=user, notification_id=notification_id)
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=now, state=State.READ
        )
        notification.read_at, notification.state = now, State.READ
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user read; returns how many."""
    return (
        selectors.notifications_for_user(user=user)
        .filter(read_at__isnull=True)
        .update(read_at=timezone.now(), state=State.READ)
    )


def notification_preferences_save(
    *, user: User, enabled: set[tuple[str, str]], digest: bool | None = None
) -> None:
    """Save which (kind, channel) pairs the user wants, among the kinds their role hears of;
    mandatory kinds stay on whatever is sent. `digest` (staff only) switches the daily digest."""
    for kind in kinds_for_role(user.role):
        if is_mandatory(kind, user.role):
            continue
        for channel in Channel.values:
            NotificationPreference.objects.update_or_create(
                user=user,
                kind=kind,
                channel=channel,
                defaults={"enabled": (kind, channel) in enabled},
            )
    if digest is not None and user.is_insurer_staff:
        EmailDigest.objects.update_or_create(user=user, defaults={"enabled": digest})
    audit_event_record(
        action=AuditAction.CHANGE,
        actor=user,
        object_type="notifications.preferences",
        object_id=str(user.pk),
    )
