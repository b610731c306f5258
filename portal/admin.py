from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from portal.models import (
    AuditAction,
    AuditEvent,
    Coverage,
    Insurer,
    JurisdictionProfile,
    Provider,
    User,
)
from portal.services import advocates_verify, audit_event_record, audit_views_record


class ReadOnlyAdminMixin:
    """Records written only by the portal itself: administrators read them, nobody adds,
    changes or deletes them here (actions may still run services on them)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdminMixin:
    """Every change made in the admin also lands in the append-only audit log (Django's own
    admin history can be edited; this cannot)."""

    def log_addition(self, request, obj, message):
        _audit_admin_change(request, AuditAction.CREATE, obj, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        _audit_admin_change(request, AuditAction.CHANGE, obj, message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            _audit_admin_change(request, AuditAction.DELETE, obj, [])
        return super().log_deletions(request, queryset)


class AuditedViewsAdminMixin:
    """Admin pages of personal data record who saw what, as the portal's own pages do: a
    change page one VIEW row for its object, a list page one per object listed on that page
    (written in one statement)."""

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if response.status_code == 200 and changelist is not None:
            audit_views_record(
                actor=request.user,
                objects=list(changelist.result_list),
                detail={"via": "admin", "page": "list"},
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        shown = (getattr(response, "context_data", None) or {}).get("original")
        if response.status_code == 200 and shown is not None:
            audit_event_record(
                action=AuditAction.VIEW,
                actor=request.user,
                obj=shown,
                detail={"via": "admin", "page": "detail"},
            )
        return response


def _audit_admin_change(request, action: AuditAction, obj, message) -> None:
    changed = [
        field
        for entry in (message if isinstance(message, list) else [])
        for field in entry.get("changed", {}).get("fields", [])
    ]
    audit_event_record(
        action=action, actor=request.user, obj=obj, detail={"via": "admin", "fields": changed}
    )


@admin.register(User)
class UserAdmin(AuditedViewsAdminMixin, AuditedAdminMixin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "insurer", "is_active", "advocate_verified_at"]
    list_filter = ["role", "insurer", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name", "role", "insurer", "advocate_verified_at"]}),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["email", "full_name", "role", "insurer", "password1", "password2"]}),
    ]
    readonly_fields = ["is_staff", "last_login", "date_joined"]
    actions = ["verify_advocates"]

    @admin.action(description=_("Verify the selected advocates"))
    def verify_advocates(self, request, queryset):
        count = advocates_verify(advocates=queryset, verified_by=request.user)
        self.message_user(request, _("%(count)d advocate(s) verified.") % {"count": count})


class CoverageInline(admin.TabularInline):
    model = Coverage
    extra = 0


@admin.register(Insurer)
class InsurerAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "contact_email", "is_active"]
    search_fields = ["name"]
    inlines = [CoverageInline]


@admin.register(Provider)
class ProviderAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "region", "jurisdiction", "is_active"]
    list_filter = ["region", "jurisdiction", "is_active"]
    search_fields = ["name", "region"]
    inlines = [CoverageInline]


@admin.register(Coverage)
class CoverageAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["provider", "insurer", "starts_on", "ends_on"]
    list_filter = ["insurer"]
    autocomplete_fields = ["provider", "insurer"]


#: The bounds of each number of a jurisdiction profile: (least, most, unit). Wide enough for any
#: jurisdiction's rules, narrow enough that every date worked out from them is a real date.
PROFILE_BOUNDS = {
    "days_to_acknowledge": (1, 365, _("days")),
    "months_to_respond": (1, 60, _("months")),
    "days_for_records": (1, 365, _("days")),
    "days_to_answer_offer": (1, 365, _("days")),
    "days_notice_before_lapse": (0, 364, _("days")),
    "months_to_ask_for_review": (1, 60, _("months")),
    "days_to_decide_review": (1, 365, _("days")),
}

PROFILE_HELP = {
    "days_to_acknowledge": _(
        "Calendar days from the day the claim was sent. An insurer's routing rule may set an "
        "earlier date, never a later one. England and Wales: 14."
    ),
    "months_to_respond": _(
        "Months from the day the claim was sent to a reasoned response (an offer or a decision "
        "with its reasons). Caps the insurer's own decide-by date. England and Wales: 4."
    ),
    "days_for_records": _(
        "Calendar days from the day the claim was sent to copies of the health records, when the "
        "patient consented to them being obtained. England and Wales: 40."
    ),
    "days_to_answer_offer": _("Calendar days the patient has to answer an offer."),
    "days_notice_before_lapse": _(
        "How many days before an offer lapses the patient is reminded; fewer than the days to "
        "answer an offer."
    ),
    "months_to_ask_for_review": _(
        "Months after a decision in which the patient may ask for it to be reviewed. Denmark: 1 "
        "(to appeal). Sweden: 6 (to ask the board)."
    ),
    "days_to_decide_review": _("Calendar days the insurer has to decide a review."),
}


class JurisdictionProfileForm(forms.ModelForm):
    """Each number within its bounds, with a message saying which and why."""

    class Meta:
        model = JurisdictionProfile
        fields = ["name", "code", "rules_source", *PROFILE_BOUNDS]
        help_texts = PROFILE_HELP

    def clean(self):
        cleaned = super().clean()
        for field, (least, most, unit) in PROFILE_BOUNDS.items():
            value = cleaned.get(field)
            if value is not None and not least <= value <= most:
                label = JurisdictionProfile._meta.get_field(field).verbose_name
                self.add_error(
                    field,
                    _("Enter %(least)d to %(most)d %(unit)s for %(label)s.")
                    % {"least": least, "most": most, "unit": unit, "label": label},
                )
        answer, notice = (
            cleaned.get("days_to_answer_offer"),
            cleaned.get("days_notice_before_lapse"),
        )
        if answer is not None and notice is not None and notice >= answer:
            self.add_error(
                "days_notice_before_lapse",
                _(
                    "The reminder must come before the offer lapses: enter fewer days than the "
                    "%(answer)d the patient has to answer."
                )
                % {"answer": answer},
            )
        return cleaned


@admin.register(JurisdictionProfile)
class JurisdictionProfileAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Where each jurisdiction's dates come from. A provider names its profile by code; a code
    with no profile takes DEFAULT_JURISDICTION's."""

    form = JurisdictionProfileForm
    list_display = [
        "name",
        "code",
        "days_to_acknowledge",
        "months_to_respond",
        "days_for_records",
        "days_to_answer_offer",
        "months_to_ask_for_review",
        "days_to_decide_review",
    ]
    search_fields = ["name", "code"]
    fieldsets = [
        (None, {"fields": ["name", "code", "rules_source"]}),
        (
            _("The insurer's dates"),
            {
                "fields": [
                    "days_to_acknowledge",
                    "months_to_respond",
                    "days_for_records",
                    "days_to_decide_review",
                ]
            },
        ),
        (
            _("The patient's dates"),
            {
                "fields": [
                    "days_to_answer_offer",
                    "days_notice_before_lapse",
                    "months_to_ask_for_review",
                ]
            },
        ),
    ]


@admin.register(AuditEvent)
class AuditEventAdmin(AuditedViewsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: administrators may read the audit log; nobody may add, change or delete it."""

    list_display = ["occurred_at", "action", "actor", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor__email"]
    date_hierarchy = "occurred_at"
    list_select_related = ["actor"]
