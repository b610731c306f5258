"""The oversight list pages' URLs (in the "oversight" namespace)."""

from django.urls import path

from oversight import list_views

urlpatterns = [
    path("claims/", list_views.claims_list, name="claims"),
    path("claims/export.csv", list_views.claims_export, name="claims_export"),
]
