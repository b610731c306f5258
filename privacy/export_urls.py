"""The privacy export pages' URLs (in the "privacy" namespace)."""

from django.urls import path

from privacy import export_views, your_data_views

urlpatterns = [
    path("your-data/", your_data_views.your_data, name="your_data"),
    path("your-data/ask/", your_data_views.export_ask, name="export_ask"),
    path(
        "exports/<uuid:export_id>/download/",
        export_views.export_download,
        name="export_download",
    ),
]
