"""The unread count in the header: one COUNT query, only for people signed in."""

from notifications.selectors import notification_unread_count


def unread_notifications(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: pages that do not render the header (and redirects) never run the query.
    return {"unread_notifications": lambda: notification_unread_count(user=user)}
