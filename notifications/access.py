"""Who may read which notifications (see portal.access for the shape of the names)."""

from django.db.models import Q, QuerySet

from intake.access import claims_visible_to
from notifications.models import Channel, Notification
from portal.models import User


def notifications_visible_to(user: User) -> QuerySet[Notification]:
    """A person sees their own in-app notifications and nobody else's (administrators read the
    email outbox in the admin site), and only about claims they may still see: an advocate
    whose authority ended no longer reads about the patient's claim."""
    if not user.is_authenticated or not user.is_active:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP).filter(
        Q(claim__isnull=True) | Q(claim__in=claims_visible_to(user))
    )
