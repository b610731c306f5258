"""The privacy notice pages' URLs (in the "privacy" namespace)."""

from django.urls import path

from privacy import notice_views

urlpatterns = [
    path("notice/", notice_views.notice, name="notice"),
]
