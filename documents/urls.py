from django.urls import path

from documents import views

app_name = "documents"

urlpatterns = [
    path("claims/<uuid:claim_id>/upload/", views.document_upload, name="upload"),
    path("claims/<uuid:claim_id>/status/", views.document_status, name="status"),
    path("<uuid:document_id>/download/", views.document_download, name="download"),
]
