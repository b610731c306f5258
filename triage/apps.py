from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "triage"

    def ready(self) -> None:
        from intake.signals import claim_submitted
        from triage.signals import route_submitted_claim

        claim_submitted.connect(route_submitted_claim, dispatch_uid="triage_route_submitted")
