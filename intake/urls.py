from django.urls import path

from intake import views
from intake.advocates import views as authority_views

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

# Advocates' authorities (intake.advocates.views).
urlpatterns += [
    path("authorities/", authority_views.authority_list, name="authorities"),
    path(
        "authorities/<uuid:authority_id>/",
        authority_views.authority_change,
        name="authority_change",
    ),
    path(
        "authorities/<uuid:authority_id>/end/", authority_views.authority_end, name="authority_end"
    ),
    path("invitations/<str:token>/", authority_views.authority_accept, name="authority_accept"),
    path("new/on-behalf/", authority_views.claim_start_on_behalf, name="claim_start_on_behalf"),
]
