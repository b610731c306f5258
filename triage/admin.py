from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from intake.admin import ClaimAdmin
from intake.models import Claim, ClaimStatus
from intake.services import ClaimError
from portal.admin import AuditedAdminMixin
from portal.models import Insurer
from triage.forms import TeamForm
from triage.models import ClaimAwaitingInsurer, RoutingDecision, Team
from triage.services import claim_insurer_choose


@admin.register(Team)
class TeamAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = TeamForm
    list_display = ["name", "insurer", "lead"]
    list_filter = ["insurer"]
    filter_horizontal = ["members"]


class ChooseInsurerForm(helpers.ActionForm):
    """The admin's action bar, with the insurer the chosen claims are given to."""

    insurer = forms.ModelChoiceField(
        label=_("Insurer"),
        queryset=Insurer.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("Choose an insurer"),
    )


class AwaitingInsurerFilter(admin.SimpleListFilter):
    title = _("insurer")
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return [("yes", _("Awaiting an insurer"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status=ClaimStatus.NEEDS_TRIAGE, insurer__isnull=True)
        return queryset


@admin.register(ClaimAwaitingInsurer)
class ClaimAwaitingInsurerAdmin(ClaimAdmin):
    """Claims as the plain claim admin shows them, with why each went where it went. Here
    administrators find the claims no insurer owns yet (filter "Awaiting an insurer") and give
    each to an insurer, which routes it."""

    list_display = [*ClaimAdmin.list_display, "why"]
    list_filter = [AwaitingInsurerFilter, *ClaimAdmin.list_filter]
    action_form = ChooseInsurerForm
    actions = ["choose_insurer"]

    def get_queryset(self, request):
        # Rows are the claims themselves rather than the proxy, so that the audit log names
        # what an administrator saw here "intake.claim", as every other page does.
        latest_reason = (
            RoutingDecision.objects.filter(claim=OuterRef("pk"))
            .order_by("-decided_at", "-id")
            .values("reason")[:1]
        )
        claims = Claim.objects.exclude(status=ClaimStatus.DRAFT).order_by(*self.ordering)
        return claims.annotate(routing_reason=Subquery(latest_reason))

    @admin.display(description=_("routing"))
    def why(self, claim: Claim) -> str:
        return claim.routing_reason or "–"

    @admin.action(description=_("Give the selected claims to the insurer chosen"))
    def choose_insurer(self, request, queryset):
        form = self.action_form(request.POST)
        form.fields["action"].choices = self.get_action_choices(request)
        insurer = form.cleaned_data["insurer"] if form.is_valid() else None
        if insurer is None:
            self.message_user(
                request, _("Choose the insurer to give the claims to."), messages.ERROR
            )
            return
        for claim in queryset.select_related("provider"):
            try:
                routed = claim_insurer_choose(claim=claim, insurer=insurer, admin=request.user)
            except ClaimError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, _given_message(routed, insurer))


def _given_message(claim: Claim, insurer: Insurer) -> str:
    if claim.status == ClaimStatus.ASSIGNED:
        return _("%(reference)s is %(insurer)s's now and was routed by its rules.") % {
            "reference": claim.reference,
            "insurer": insurer.name,
        }
    return _("%(reference)s is %(insurer)s's now; it waits in their needs-triage queue.") % {
        "reference": claim.reference,
        "insurer": insurer.name,
    }
