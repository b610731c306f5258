from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications.delivery import notifications_retry_failed
from notifications.models import Notification
from portal.admin import AuditedViewsAdminMixin, ReadOnlyAdminMixin


@admin.register(Notification)
class NotificationAdmin(AuditedViewsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only outbox: administrators see what failed and why, and send failed emails again."""

    list_display = [
        "created_at",
        "kind",
        "channel",
        "recipient",
        "recipient_email",
        "claim",
        "state",
        "attempts",
        "last_error",
        "sent_at",
    ]
    list_filter = ["state", "channel", "kind"]
    search_fields = ["recipient__email", "recipient_email", "claim__reference", "idempotency_key"]
    list_select_related = ["recipient", "claim"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Notification._meta.fields]
    actions = ["retry"]

    @admin.action(description=_("Send the selected failed emails again"))
    def retry(self, request, queryset):
        count = notifications_retry_failed(notifications=queryset, actor=request.user)
        self.message_user(
            request,
            ngettext("%(count)d email queued again.", "%(count)d emails queued again.", count)
            % {"count": count},
        )
