from django.apps import AppConfig


class OversightConfig(AppConfig):
    """Insurer oversight and learning from claims: the insurer's claims list, dashboards with
    charts, and the provider learning report."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "oversight"
    verbose_name = "Oversight"
