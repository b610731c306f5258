from django.urls import path

from triage import views

app_name = "triage"

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("claims/<uuid:claim_id>/", views.claim_work, name="claim_work"),
    path("claims/<uuid:claim_id>/do/<slug:action>/", views.claim_action, name="claim_action"),
    path(
        "claims/<uuid:claim_id>/request-information/",
        views.claim_request_information,
        name="claim_request_information",
    ),
    path("claims/<uuid:claim_id>/offer/", views.claim_offer, name="claim_offer"),
    path("claims/<uuid:claim_id>/messages/", views.claim_message, name="claim_message"),
    path("claims/<uuid:claim_id>/notes/", views.claim_note, name="claim_note"),
    path("claims/<uuid:claim_id>/authority/", views.claim_authority, name="claim_authority"),
    path("claims/<uuid:claim_id>/assign/", views.claim_assign, name="claim_assign"),
    path("triage/", views.lead_workspace, name="lead_workspace"),
    path("adjusters/<int:adjuster_id>/leave/", views.adjuster_leave, name="adjuster_leave"),
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
]
