"""Webhooks in the admin: an insurer's endpoints (registered through the same service as the
API, so the URL is checked and pinged and the secret shown once), and the delivery log, read-only,
with manual redelivery. Imported by api/admin.py."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from api import webhooks
from api.webhooks_models import EventType, WebhookDelivery, WebhookEndpoint
from portal.admin import AuditedViewsAdminMixin, ReadOnlyAdminMixin


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=gettext_lazy("URL"), max_length=2000, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Event types"),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["insurer", "url", "description", "event_types"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        if self.instance.pk and url == self.instance.url:
            return url
        try:
            return webhooks.webhook_url_check(url)
        except webhooks.WebhookError as error:
            raise forms.ValidationError(error.message) from error


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "insurer", "state", "ping_status_code", "pinged_at", "created_at"]
    list_filter = ["state", "insurer"]
    list_select_related = ["insurer"]
    search_fields = ["url", "description"]
    readonly_fields = [
        "state",
        "disabled_at",
        "disabled_reason",
        "pinged_at",
        "ping_status_code",
        "ping_error",
        "previous_secret_expires_at",
        "created_by",
        "created_at",
    ]
    actions = ["ping", "rotate_secret", "enable", "disable"]

    def get_readonly_fields(self, request, obj=None):
        # The insurer of an endpoint never changes: its deliveries carry that insurer's claims.
        return [*self.readonly_fields, "insurer"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            webhooks.webhook_endpoint_update(
                # The form has already put its answers on `obj`; compare with what is saved.
                endpoint=WebhookEndpoint.objects.get(pk=obj.pk),
                actor=request.user,
                url=data["url"],
                event_types=data["event_types"],
                description=data["description"],
            )
            return
        endpoint, secret = webhooks.webhook_endpoint_register(
            insurer=data["insurer"],
            url=data["url"],
            event_types=data["event_types"],
            description=data["description"],
            actor=request.user,
        )
        obj.pk = endpoint.pk
        request._webhook_secret = secret

    def save_form(self, request, form, change):
        # The service saves (with its checks and audit); the form only carries the answers.
        return form.instance if change else WebhookEndpoint()

    def save_related(self, request, form, formsets, change):
        pass  # no relations beyond what the service saved

    def response_add(self, request, obj, post_url_continue=None):
        endpoint = WebhookEndpoint.objects.get(pk=obj.pk)
        return self._secret_page(request, endpoint, request._webhook_secret, rotated=False)

    def log_addition(self, request, obj, message):
        pass  # the service's audit row records it

    def _secret_page(self, request, endpoint, secret, *, rotated: bool):
        back = reverse("admin:api_webhookendpoint_change", args=[endpoint.pk])
        context = {
            **self.admin_site.each_context(request),
            "endpoint": endpoint,
            "secret": secret,
            "rotated": rotated,
            "back": back,
            "title": _("Signing secret"),
        }
        if endpoint.ping_ok is False:
            messages.warning(
                request,
                _("The ping got no 2xx answer (%(code)s %(error)s); check the receiver.")
                % {"code": endpoint.ping_status_code or "", "error": endpoint.ping_error},
            )
        return TemplateResponse(request, "api/webhooks_secret.html", context)

    @admin.action(description=gettext_lazy("Send a ping now"))
    def ping(self, request, queryset):
        for endpoint in queryset:
            answer = webhooks.webhook_endpoint_ping(endpoint=endpoint)
            level = messages.SUCCESS if endpoint.ping_ok else messages.WARNING
            self.message_user(
                request,
                _("%(url)s answered %(code)s %(error)s")
                % {"url": endpoint.url, "code": answer.status or "", "error": answer.error},
                level,
            )

    @admin.action(description=gettext_lazy("Rotate the secret (one endpoint)"))
    def rotate_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose one endpoint to rotate."), messages.ERROR)
            return None
        endpoint = queryset.get()
        secret = webhooks.webhook_endpoint_rotate_secret(endpoint=endpoint, actor=request.user)
        return self._secret_page(request, endpoint, secret, rotated=True)

    @admin.action(description=gettext_lazy("Enable again"))
    def enable(self, request, queryset):
        for endpoint in queryset:
            webhooks.webhook_endpoint_enable(endpoint=endpoint, actor=request.user)
        self.message_user(request, _("Enabled. New events will be delivered."), messages.SUCCESS)

    @admin.action(description=gettext_lazy("Disable"))
    def disable(self, request, queryset):
        for endpoint in queryset:
            webhooks.webhook_endpoint_disable(
                endpoint=endpoint, actor=request.user, reason=_("Disabled by an administrator.")
            )
        self.message_user(request, _("Disabled."), messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(AuditedViewsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "event_type",
        "endpoint",
        "claim",
        "state",
        "attempts",
        "last_status_code",
        "last_duration_ms",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["state", "event_type"]
    list_select_related = ["endpoint", "claim"]
    search_fields = ["claim__reference", "endpoint__url"]
    fields = [
        "endpoint",
        "event_type",
        "claim",
        "state",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "last_status_code",
        "last_duration_ms",
        "last_error",
        "delivered_at",
        "created_at",
        "body",
    ]
    actions = ["resend"]

    @admin.action(description=gettext_lazy("Send again now"))
    def resend(self, request, queryset):
        sent = 0
        for delivery in queryset.select_related("endpoint"):
            try:
                webhooks.webhook_delivery_resend(delivery=delivery, actor=request.user)
            except webhooks.WebhookError as error:
                self.message_user(request, f"{delivery.endpoint}: {error.message}", messages.ERROR)
                continue
            sent += 1
        if sent:
            self.message_user(request, _("%(n)d queued to send again.") % {"n": sent})
