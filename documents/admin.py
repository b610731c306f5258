from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from documents.models import Document, ScanStatus, overdue_cutoff
from documents.services import documents_scan_again
from portal.admin import AuditedViewsAdminMixin, ReadOnlyAdminMixin


class ScanOverdueFilter(admin.SimpleListFilter):
    """Documents still pending past DOCUMENT_SCAN_OVERDUE_MINUTES: the sweeper keeps queueing
    them, and someone should find out why the scanner does not finish them."""

    title = _("virus check overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(scan_status=ScanStatus.PENDING, created_at__lt=overdue_cutoff())
        return queryset


@admin.register(Document)
class DocumentAdmin(AuditedViewsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: documents change only through their services (upload, scan, rescan). Files are
    opened from the claim's page, where the access check and the audit row apply."""

    list_display = [
        "original_name",
        "claim",
        "category",
        "scan_status",
        "scan_overdue",
        "signature",
        "size",
        "created_at",
        "scanned_at",
        "withdrawn_at",
    ]
    list_filter = [
        "scan_status",
        ScanOverdueFilter,
        "category",
        ("withdrawn_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["claim__reference", "storage_key", "sha256"]
    readonly_fields = [field.name for field in Document._meta.fields]
    actions = ["scan_again"]

    @admin.display(boolean=True, description=_("check overdue"))
    def scan_overdue(self, document: Document) -> bool:
        return document.is_overdue

    @admin.action(description=_("Scan again the selected documents whose scan failed"))
    def scan_again(self, request, queryset):
        count = documents_scan_again(documents=queryset, actor=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d document queued for scanning.",
                "%(count)d documents queued for scanning.",
                count,
            )
            % {"count": count},
        )
