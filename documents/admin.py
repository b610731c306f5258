from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from documents.models import Document
from documents.services import documents_scan_again
from portal.admin import ReadOnlyAdminMixin


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: documents change only through their services (upload, scan, rescan). Files are
    opened from the claim's page, where the access check and the audit row apply."""

    list_display = [
        "original_name",
        "claim",
        "category",
        "scan_status",
        "signature",
        "size",
        "created_at",
        "scanned_at",
        "withdrawn_at",
    ]
    list_filter = ["scan_status", "category", ("withdrawn_at", admin.EmptyFieldListFilter)]
    search_fields = ["claim__reference", "storage_key", "sha256"]
    readonly_fields = [field.name for field in Document._meta.fields]
    actions = ["scan_again"]

    @admin.action(description=_("Scan again the selected documents whose scan failed"))
    def scan_again(self, request, queryset):
        count = documents_scan_again(documents=queryset, actor=request.user)
        self.message_user(
            request, _("%(count)d document(s) queued for scanning.") % {"count": count}
        )
