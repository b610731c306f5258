"""The resolution pages: each area's forms have their own URL list, mounted here under one
namespace ("resolution:<name>")."""

from django.urls import include, path

app_name = "resolution"

urlpatterns = [
    path("", include("resolution.offers_urls")),
    path("", include("resolution.letters_urls")),
    path("", include("resolution.payments_urls")),
    path("", include("resolution.reviews_urls")),
]
