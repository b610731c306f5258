from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API insurers' systems connect through, and the signed webhooks that tell them of
    every change."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = "API and webhooks"

    def ready(self) -> None:
        from api import webhooks_receivers

        webhooks_receivers.connect()
