"""Subject access requests for administrators: the list against the deadline (the month, or
its extension), a request that came by post recorded on the patient's behalf, and an extension
with its reason. Rows change only through the services, which audit and tell the patient; the
pages themselves are audited like every admin page of personal data."""

from django import forms
from django.contrib import admin, messages
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.admin import AuditedViewsAdminMixin
from portal.models import AuditAction, Role, User
from portal.services import audit_event_record
from privacy.export_access import exports_may_manage
from privacy.export_models import ExportChannel, ExportRequest
from privacy.export_services import ExportError, export_extend, export_request_create


class OnBehalfForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("The patient's email address"),
        help_text=gettext_lazy("As on their account: the copy is for that account's patient."),
    )
    received_on = forms.DateField(
        label=gettext_lazy("The day the letter arrived"),
        help_text=gettext_lazy("The month to answer runs from this day."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    identity_checked = forms.BooleanField(
        label=gettext_lazy(
            "I have checked that the letter comes from this patient (signature and address "
            "match the account's claims)"
        ),
        error_messages={
            "required": gettext_lazy(
                "Check the letter comes from the patient first: their copy holds health data."
            )
        },
    )

    def clean_email(self) -> User:
        email = self.cleaned_data["email"].lower()
        patient = User.objects.filter(email=email, role=Role.PATIENT).first()
        if patient is None:
            raise forms.ValidationError(
                _("No patient has an account with this email address. Check it against the letter.")
            )
        return patient


class ExtendForm(forms.Form):
    months = forms.TypedChoiceField(
        label=gettext_lazy("More time"),
        choices=[(1, gettext_lazy("One more month")), (2, gettext_lazy("Two more months"))],
        coerce=int,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("Why more time is needed"),
        help_text=gettext_lazy(
            "The patient reads this. Say why in general words (many records, a complex request); "
            "never health details."
        ),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@admin.register(ExportRequest)
class ExportRequestAdmin(AuditedViewsAdminMixin, admin.ModelAdmin):
    list_display = [
        "patient",
        "channel",
        "received_on",
        "deadline_shown",
        "state",
        "ready_at",
        "expires_at",
        "extend_link",
    ]
    list_filter = ["state", "channel"]
    list_select_related = ["patient"]
    search_fields = ["patient__email"]
    fields = [
        "patient",
        "requested_by",
        "channel",
        "received_on",
        "due_on",
        "extended_to",
        "extension_reason",
        "extended_by",
        "extended_at",
        "state",
        "attempts",
        "last_error",
        "size",
        "files",
        "created_at",
        "ready_at",
        "expires_at",
        "purged_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        # Nearest deadline first, whichever of the month or its extension applies.
        return (
            super()
            .get_queryset(request)
            .annotate(deadline_on=Coalesce("extended_to", "due_on"))
            .order_by("deadline_on", "created_at")
        )

    def has_view_permission(self, request, obj=None):
        return exports_may_manage(request.user)

    def has_module_permission(self, request):
        return exports_may_manage(request.user)

    def has_add_permission(self, request):
        return exports_may_manage(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("Answer due by"), ordering="deadline_on")
    def deadline_shown(self, obj: ExportRequest) -> str:
        if not obj.is_open:
            return f"{obj.deadline:%d %b %Y}"
        days = (obj.deadline - timezone.localdate()).days
        if days < 0:
            late = _("%(days)d days late") % {"days": -days}
            return f"{obj.deadline:%d %b %Y} ({late})"
        left = _("%(days)d days left") % {"days": days}
        extended = _(", extended") if obj.extended_to else ""
        return f"{obj.deadline:%d %b %Y} ({left}{extended})"

    @admin.display(description=gettext_lazy("More time"))
    def extend_link(self, obj: ExportRequest) -> str:
        if not obj.is_open:
            return ""
        url = reverse("admin:privacy_exportrequest_extend", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Extend"))

    def get_urls(self):
        extend = self.admin_site.admin_view(self.extend_view)
        return [
            path("<uuid:export_id>/extend/", extend, name="privacy_exportrequest_extend"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        """A request that came by post, recorded on the patient's behalf (audited)."""
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = OnBehalfForm(request.POST or None, initial={"received_on": timezone.localdate()})
        if request.method == "POST" and form.is_valid():
            try:
                export_request_create(
                    patient=form.cleaned_data["email"],
                    requested_by=request.user,
                    channel=ExportChannel.POST,
                    received_on=form.cleaned_data["received_on"],
                )
            except ExportError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(
                    request,
                    _("The request is recorded; the patient will be emailed when it is ready."),
                    messages.SUCCESS,
                )
                return redirect("admin:privacy_exportrequest_changelist")
        return self._form_page(
            request,
            form,
            title=_("Record a request that came by post"),
            button=_("Record the request"),
        )

    def extend_view(self, request, export_id):
        if not exports_may_manage(request.user):
            return redirect("admin:index")
        export = get_object_or_404(ExportRequest.objects.select_related("patient"), pk=export_id)
        if request.method == "GET":  # the page names the patient
            audit_event_record(
                action=AuditAction.VIEW,
                actor=request.user,
                obj=export,
                detail={"via": "admin", "page": "extend"},
            )
        form = ExtendForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                export_extend(
                    export_id=export.pk,
                    months=form.cleaned_data["months"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ExportError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(
                    request,
                    _("The deadline is extended and the patient has been told."),
                    messages.SUCCESS,
                )
                return redirect("admin:privacy_exportrequest_changelist")
        return self._form_page(
            request,
            form,
            title=_("Extend the deadline of a request"),
            button=_("Extend and tell the patient"),
            export=export,
        )

    def _form_page(self, request, form, *, title: str, button: str, export=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "form": form,
            "button": button,
            "export": export,
        }
        return TemplateResponse(request, "privacy/export_admin_form.html", context)
