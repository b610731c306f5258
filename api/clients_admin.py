"""API clients in the admin: registered through the service (with the service user), scopes
changed through it (the write permission kept in step), keys issued on a page of their own (shown
once; never in a message, which would put it in a cookie), keys and clients revoked. Audited."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from api import services
from api.models import ApiClient, ApiClientKey
from api.scopes import SCOPES
from portal.admin import AuditedAdminMixin


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(scope, scope) for scope in SCOPES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = ApiClient
        fields = ["name", "insurer", "scopes"]


class ApiClientKeyInline(admin.TabularInline):
    model = ApiClientKey
    fields = ["prefix", "name", "created", "expiry_date", "revoked"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # a key is issued by the action, which shows it once


@admin.register(ApiClient)
class ApiClientAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["name", "insurer", "scopes", "last_used_at", "revoked_at"]
    list_filter = ["insurer"]
    readonly_fields = ["service_user", "created_at", "last_used_at", "revoked_at"]
    inlines = [ApiClientKeyInline]
    actions = ["issue_key", "revoke_keys", "revoke_client"]

    def get_readonly_fields(self, request, obj=None):
        # One insurer for the life of the client: its keys were given for that insurer's claims.
        return [*self.readonly_fields, "insurer"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            services.api_client_save(client=obj, actor=request.user)
        else:
            created = services.api_client_create(
                name=obj.name, insurer=obj.insurer, scopes=obj.scopes, actor=request.user
            )
            obj.pk, obj.service_user = created.pk, created.service_user

    def log_addition(self, request, obj, message):
        pass  # the service's audit row records it

    def log_change(self, request, obj, message):
        pass  # the service's audit row records it

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: audit rows keep pointing at its service user

    @admin.action(description=gettext_lazy("Issue a new key (one client)"))
    def issue_key(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one client."), messages.ERROR)
            return None
        client = queryset.get()
        if client.is_revoked:
            self.message_user(request, _("This client is revoked."), messages.ERROR)
            return None
        _row, key = services.api_client_key_issue(client=client, actor=request.user)
        context = {
            **self.admin_site.each_context(request),
            "client": client,
            "key": key,
            "back": reverse("admin:api_apiclient_change", args=[client.pk]),
            "title": _("API key"),
        }
        return TemplateResponse(request, "api/client_key.html", context)

    @admin.action(description=gettext_lazy("Revoke every key but the newest (end a rotation)"))
    def revoke_keys(self, request, queryset):
        revoked = 0
        for client in queryset:
            keys = list(client.keys.filter(revoked=False).order_by("-created"))
            for key_row in keys[1:]:
                services.api_client_key_revoke(key_row=key_row, actor=request.user)
                revoked += 1
        self.message_user(request, _("%(n)d keys revoked.") % {"n": revoked})

    @admin.action(description=gettext_lazy("Revoke the client and all its keys"))
    def revoke_client(self, request, queryset):
        for client in queryset:
            services.api_client_revoke(client=client, actor=request.user)
        self.message_user(request, _("Revoked at %(t)s.") % {"t": timezone.now().strftime("%H:%M")})
