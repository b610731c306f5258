from django.apps import AppConfig


class ResolutionConfig(AppConfig):
    """How a claim ends: offers and the patient's answers, letters, settlement and payment,
    reserves, reviews of decisions, and the dates the patient can see."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "resolution"
    verbose_name = "Resolution"

    def ready(self) -> None:
        # Letters are written when a claim moves (intake announces the move).
        from resolution import letters_receivers

        letters_receivers.connect()
