"""The reviews pages' URLs (in the "resolution" namespace)."""

from django.urls import path

from resolution import reviews_views as views

urlpatterns = [
    path("claims/<uuid:claim_id>/review/", views.review_request_page, name="review_request"),
    path("claims/<uuid:claim_id>/review/decide/", views.review_decide_page, name="review_decide"),
]
