from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"

    def ready(self) -> None:
        from celery.signals import worker_ready

        from documents import signals
        from intake.signals import claim_draft_purging, claim_submitting

        worker_ready.connect(
            signals.scanner_check_on_worker_start, dispatch_uid="documents-scanner-check"
        )
        claim_draft_purging.connect(
            signals.documents_delete_with_draft, dispatch_uid="documents-delete-with-draft"
        )
        claim_submitting.connect(
            signals.authority_form_required_to_submit, dispatch_uid="documents-authority-form"
        )
