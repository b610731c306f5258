"""The API: version 1 of the resources and the webhooks' management, with the OpenAPI schema and
its documentation pages (see api/v1_urls.py)."""

from django.urls import include, path

urlpatterns = [
    path("v1/webhooks/", include("api.webhooks_urls")),
    path("", include("api.v1_urls")),
]
