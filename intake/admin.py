from django.contrib import admin

from intake.models import Claim, ClaimStatus
from portal.admin import AuditedViewsAdminMixin, ReadOnlyAdminMixin


@admin.register(Claim)
class ClaimAdmin(AuditedViewsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Claims change only through the portal's services. The list and the page show where a
    claim stands and who holds it, not the patient's answers. Administrators choose the insurer
    of a claim no insurer covers under "Claims awaiting an insurer" (triage/admin.py)."""

    list_display = ["reference", "status", "insurer", "provider_display", "incident_date"]
    list_filter = ["status", "insurer"]
    list_select_related = ["provider", "insurer"]
    search_fields = ["reference"]
    ordering = ["-submitted_at"]
    fields = [
        "reference",
        "status",
        "provider",
        "provider_not_listed",
        "incident_date",
        "submitted_at",
        "insurer",
        "team",
        "assigned_adjuster",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(status=ClaimStatus.DRAFT)
