"""Oversight pages: the claims list and its export, the dashboard, the learning reports."""

from django.urls import include, path

app_name = "oversight"

urlpatterns = [
    path("", include("oversight.list_urls")),
    path("", include("oversight.dashboard_urls")),
]
