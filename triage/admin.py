from django.contrib import admin

from portal.admin import AuditedAdminMixin
from triage.forms import TeamForm
from triage.models import Team


@admin.register(Team)
class TeamAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = TeamForm
    list_display = ["name", "insurer", "lead"]
    list_filter = ["insurer"]
    filter_horizontal = ["members"]
