from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """The privacy lifecycle: subject access exports, retention and anonymisation, legal holds,
    erasure and correction, and the privacy notice."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "privacy"
    verbose_name = "Privacy"
