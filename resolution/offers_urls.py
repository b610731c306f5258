"""The offers pages' URLs (in the "resolution" namespace). A round is named by its claim and its
number, never by a guessable id of its own: every page goes through the claim's access check."""

from django.urls import path

from resolution import offers_views as views

urlpatterns = [
    path("claims/<uuid:claim_id>/offers/new/", views.offer_make, name="offer_make"),
    path(
        "claims/<uuid:claim_id>/offers/<int:round_number>/accept/",
        views.offer_accept,
        name="offer_accept",
    ),
    path(
        "claims/<uuid:claim_id>/offers/<int:round_number>/decline/",
        views.offer_decline,
        name="offer_decline",
    ),
    path(
        "claims/<uuid:claim_id>/offers/<int:round_number>/counter/",
        views.offer_counter,
        name="offer_counter",
    ),
    path(
        "claims/<uuid:claim_id>/offers/<int:round_number>/accept-counter/",
        views.offer_accept_counter,
        name="offer_accept_counter",
    ),
]
