"""Reads for subject access exports: what the "Your data" page shows a patient, and the
administrators' list of open requests against their deadlines."""

from django.db.models import Count, Q, QuerySet

from documents.models import Document
from intake.models import Authority, Claim, ClaimMessage
from notifications.models import Notification
from portal.models import User
from privacy.export_models import OPEN_STATES, ExportRequest


def your_data_held(*, patient: User) -> list[tuple[str, int]]:
    """What the portal holds about the patient, as (kind of record, how many), in five
    queries however many records there are."""
    claims = Claim.objects.filter(claimant=patient)
    drafts = claims.aggregate(all=Count("pk"), drafts=Count("pk", filter=Q(status="draft")))
    return [
        ("claims", drafts["all"] - drafts["drafts"]),
        ("drafts", drafts["drafts"]),
        ("documents", Document.objects.filter(claim__claimant=patient).count()),
        ("messages", ClaimMessage.objects.filter(claim__claimant=patient).count()),
        ("authorities", Authority.objects.filter(patient=patient).count()),
        ("notifications", Notification.objects.filter(recipient=patient).count()),
    ]


def export_list_for_patient(*, patient: User) -> QuerySet[ExportRequest]:
    """The patient's own requests, newest first (the page shows their states and links)."""
    return ExportRequest.objects.filter(patient=patient).order_by("-created_at", "-id")


def exports_open() -> QuerySet[ExportRequest]:
    """Requests still owed an answer, the nearest deadline first."""
    return ExportRequest.objects.filter(state__in=OPEN_STATES).select_related("patient")
