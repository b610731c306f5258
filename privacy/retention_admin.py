"""Legal holds for administrators: the list (in force first, with a filter), placing a hold on a
claim or on a patient, and lifting one with a reason. Rows change only through the services in
privacy/holds.py, which audit; the pages are audited like every admin page of personal data.
Anonymised claims are listed read-only, to answer "what did the retention run do"."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.admin import AuditedViewsAdminMixin
from privacy import holds
from privacy.retention_models import AnonymisedClaim, LegalHold


class HoldStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _("In force")), ("lifted", _("Lifted"))]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(lifted_at__isnull=True)
        if self.value() == "lifted":
            return queryset.filter(lifted_at__isnull=False)
        return queryset


class HoldPlaceAdminForm(forms.ModelForm):
    class Meta:
        model = LegalHold
        fields = ["claim", "patient", "reason", "review_on"]

    def clean(self):
        data = super().clean()
        if bool(data.get("claim")) == bool(data.get("patient")):
            raise forms.ValidationError(
                _("Choose either one claim or one patient to hold, not both.")
            )
        return data


class HoldLiftAdminForm(forms.ModelForm):
    class Meta:
        model = LegalHold
        fields = ["lift_reason"]

    def clean_lift_reason(self):
        reason = self.cleaned_data.get("lift_reason", "").strip()
        if self.instance.is_active and not reason:
            raise forms.ValidationError(_("Give the reason for lifting the hold."))
        return reason


@admin.register(LegalHold)
class LegalHoldAdmin(AuditedViewsAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "claim", "patient", "placed_at", "placed_by", "review_on", "state"]
    list_filter = [HoldStateFilter]
    list_select_related = ["claim", "patient", "placed_by"]
    raw_id_fields = ["claim", "patient"]
    ordering = ["lifted_at", "-placed_at"]

    @admin.display(description=_("state"))
    def state(self, hold: LegalHold) -> str:
        return _("In force") if hold.is_active else _("Lifted")

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = HoldLiftAdminForm if obj is not None else HoldPlaceAdminForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["claim", "patient", "reason", "review_on"]
        return [
            "claim",
            "patient",
            "reason",
            "review_on",
            "placed_by",
            "placed_at",
            "lifted_by",
            "lifted_at",
            "lift_reason",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fixed = ["claim", "patient", "reason", "review_on", "placed_by", "placed_at"]
        fixed += ["lifted_by", "lifted_at"]
        return fixed if obj.is_active else [*fixed, "lift_reason"]

    def save_model(self, request, obj, form, change):
        """Through the services, which audit (the forms checked what they would refuse)."""
        if not change:
            placed = holds.legal_hold_place(
                actor=request.user,
                claim=obj.claim,
                patient=obj.patient,
                reason=obj.reason,
                review_on=obj.review_on,
            )
            obj.pk, obj.placed_by, obj.placed_at = placed.pk, placed.placed_by, placed.placed_at
            obj._state.adding = False
            return
        current = LegalHold.objects.get(pk=obj.pk)
        if current.is_active:
            holds.legal_hold_lift(
                actor=request.user, hold=current, reason=form.cleaned_data["lift_reason"]
            )

    def has_delete_permission(self, request, obj=None):
        # A hold is a record of its own: lifted, never deleted.
        return False


@admin.register(AnonymisedClaim)
class AnonymisedClaimAdmin(admin.ModelAdmin):
    list_display = ["claim", "anonymised_at", "documents_deleted"]
    date_hierarchy = "anonymised_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
