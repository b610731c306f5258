from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """The privacy lifecycle: subject access exports, retention and anonymisation, legal holds,
    erasure and correction, and the privacy notice."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from documents.services import infected_files_purging
        from intake.signals import claim_draft_purging
        from privacy import holds_receivers

        # A legal hold keeps a held patient's drafts and a held claim's infected files.
        claim_draft_purging.connect(
            holds_receivers.draft_kept_if_held, dispatch_uid="privacy-hold-keeps-drafts"
        )
        infected_files_purging.connect(
            holds_receivers.infected_files_of_held_claims,
            dispatch_uid="privacy-hold-keeps-infected-files",
        )
