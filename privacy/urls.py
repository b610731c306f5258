"""Privacy pages: the notice, "Your data" and exports, and the account's erasure and corrections."""

from django.urls import include, path

app_name = "privacy"

urlpatterns = [
    path("", include("privacy.notice_urls")),
    path("", include("privacy.export_urls")),
    path("", include("privacy.account_urls")),
]
