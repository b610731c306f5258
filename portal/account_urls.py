"""The portal's own account pages, beside allauth's under /accounts/."""

from django.urls import path

from portal import account_views

urlpatterns = [
    path("", account_views.account_overview, name="account_overview"),
    path("name/", account_views.account_name, name="account_name"),
    path("continue/", account_views.account_continue, name="account_continue"),
]
