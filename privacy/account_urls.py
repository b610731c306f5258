"""The privacy account pages' URLs (in the "privacy" namespace): erasure and correction, and the
legal holds' pages (privacy/retention_urls.py)."""

from django.urls import include, path

from privacy import account_views

urlpatterns = [
    path("account/delete/", account_views.account_delete, name="account_delete"),
    path("account/contact/", account_views.contact_correct, name="contact_correct"),
    path("", include("privacy.retention_urls")),
]
