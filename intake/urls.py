from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("new/", views.claim_start, name="claim_start"),
    path("<uuid:claim_id>/", views.claim_detail, name="claim_detail"),
    path("<uuid:claim_id>/continue/", views.claim_resume, name="claim_resume"),
    path("<uuid:claim_id>/answers/<slug:slug>/", views.claim_step, name="claim_step"),
    path("<uuid:claim_id>/similar-claim/", views.claim_duplicate, name="claim_duplicate"),
    path("<uuid:claim_id>/check-answers/", views.claim_check, name="claim_check"),
    path("<uuid:claim_id>/submitted/", views.claim_confirmation, name="claim_confirmation"),
    path("<uuid:claim_id>/withdraw/", views.claim_withdraw, name="claim_withdraw"),
    path("<uuid:claim_id>/messages/", views.claim_message, name="claim_message"),
]
