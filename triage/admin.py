from django.contrib import admin

from triage.models import Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "insurer", "lead"]
    list_filter = ["insurer"]
    filter_horizontal = ["members"]
