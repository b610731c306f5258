"""The legal holds' pages (in the "privacy" namespace; included by privacy/account_urls.py)."""

from django.urls import path

from privacy import holds_views

urlpatterns = [
    path("claims/<uuid:claim_id>/hold/", holds_views.hold_place, name="hold_place"),
    path("holds/<uuid:hold_id>/lift/", holds_views.hold_lift, name="hold_lift"),
]
