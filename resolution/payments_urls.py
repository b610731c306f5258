"""The payments pages' URLs (in the "resolution" namespace)."""

from django.urls import path

from resolution import payments_views

urlpatterns = [
    path(
        "claims/<uuid:claim_id>/bank-details/",
        payments_views.bank_details_give,
        name="bank_details_give",
    ),
    path(
        "claims/<uuid:claim_id>/bank-details/reveal/",
        payments_views.bank_details_reveal,
        name="bank_details_reveal",
    ),
    path(
        "claims/<uuid:claim_id>/payments/",
        payments_views.payment_record,
        name="payment_record",
    ),
    path("claims/<uuid:claim_id>/reserve/", payments_views.reserve_set, name="reserve_set"),
]
