from django.apps import AppConfig


class ResolutionConfig(AppConfig):
    """How a claim ends: offers and the patient's answers, letters, settlement and payment,
    reserves, reviews of decisions, and the dates the patient can see."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "resolution"
    verbose_name = "Resolution"

    def ready(self) -> None:
        # Letters are written when a claim moves (intake announces the move).
        from resolution import (
            checks,  # noqa: F401  (registers the bank details key check)
            letters_receivers,
        )

        letters_receivers.connect()
        # A review is left only by its outcome (resolution/reviews.py records it).
        from resolution import reviews_receivers

        reviews_receivers.connect()
