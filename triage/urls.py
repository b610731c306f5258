from django.urls import path

from triage import views

app_name = "triage"

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("claims/<uuid:claim_id>/", views.claim_work, name="claim_work"),
    path("claims/<uuid:claim_id>/do/<slug:action>/", views.claim_action, name="claim_action"),
    # The staff claim page's forms, one view reading views.STAFF_CLAIM_FORMS.
    *(
        path(f"claims/<uuid:claim_id>/{slug}/", views.claim_form_post, {"form": form}, name=name)
        for slug, form, name in (
            ("request-information", "request_information", "claim_request_information"),
            ("messages", "message", "claim_message"),
            ("notes", "note", "claim_note"),
            ("authority", "authority", "claim_authority"),
        )
    ),
    path("claims/<uuid:claim_id>/assign/", views.claim_assign, name="claim_assign"),
    path("triage/", views.lead_workspace, name="lead_workspace"),
    path("adjusters/<int:adjuster_id>/leave/", views.adjuster_leave, name="adjuster_leave"),
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
]
