from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from portal import (
            admin_mfa,
            checks,  # noqa: F401  (registers the portal's system checks)
            mfa,  # noqa: F401  (connects the enrolment receiver)
            signals,  # noqa: F401  (connects the audit receivers)
        )

        admin_mfa.register()
