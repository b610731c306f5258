from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"

    def ready(self) -> None:
        from celery.signals import worker_ready

        from documents import signals

        worker_ready.connect(
            signals.scanner_check_on_worker_start, dispatch_uid="documents-scanner-check"
        )
