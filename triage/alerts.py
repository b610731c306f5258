"""Alerts to an insurer's triage leads, as notifications (in the portal and by email). They name
the claim's reference only: no health details.

Created in the caller's transaction, so an alert never announces a change that was rolled back.
"""

from intake.models import Claim
from notifications.outbox import notification_create_for_alert

#: The alert's subject here -> the notification event it is.
EVENT_KINDS = {"overdue": "claim_overdue", "team_full": "claim_escalated"}


def alert_triage_leads(*, claim: Claim, subject: str) -> None:
    """Tell the active triage leads of the claim's insurer about it."""
    notification_create_for_alert(kind=EVENT_KINDS[subject], claim=claim)
