"""The oversight dashboard pages' URLs (in the "oversight" namespace)."""

from django.urls import path

from oversight import dashboard_views, learning_views

urlpatterns = [
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path(
        "dashboard/charts/<slug:key>.svg", dashboard_views.dashboard_chart, name="dashboard_chart"
    ),
    path("learning/", learning_views.learning, name="learning"),
    path("learning/report/", learning_views.learning_report, name="learning_report"),
]
