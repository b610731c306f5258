"""The API: version 1 of the resources and the webhooks' management, with the OpenAPI schema and
its documentation pages (see api/v1_urls.py); any other address under /api/ is a problem+json 404
(api/fallback_views.py)."""

from django.urls import include, path, re_path

from api.fallback_views import UnknownPathView

urlpatterns = [
    path("v1/webhooks/", include("api.webhooks_urls")),
    path("", include("api.v1_urls")),
    # Last, and only for addresses ending in a slash: one without it is still sent on to its
    # slashed form (APPEND_SLASH) first.
    re_path(r"^.*/$", UnknownPathView.as_view()),
]
