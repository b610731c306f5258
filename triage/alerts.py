"""Alerts to an insurer's triage leads. They name the claim's reference only: no health details.

Sent after commit, so an alert never announces a change that was rolled back.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from intake.models import Claim
from portal.models import Role, User

SUBJECTS = {
    "overdue": "[Claim portal] A claim is past its due date",
    "team_full": "[Claim portal] A claim is waiting: nobody in the team has room",
}
BODIES = {
    "overdue": "Claim {reference} is past a due date. Sign in to see the overdue list:\n{url}\n",
    "team_full": (
        "Claim {reference} could not be assigned because every adjuster who fits it is at "
        "capacity or on leave. Sign in to assign it:\n{url}\n"
    ),
}


def triage_leads_of(insurer_id):
    return User.objects.filter(role=Role.TRIAGE_LEAD, insurer_id=insurer_id, is_active=True)


def alert_triage_leads(*, claim: Claim, subject: str) -> None:
    """Email the active triage leads of the claim's insurer about it."""
    recipients = list(triage_leads_of(claim.insurer_id).values_list("email", flat=True))
    if not recipients:
        return
    url = settings.SITE_URL.rstrip("/") + reverse("triage:lead_workspace")
    body = BODIES[subject].format(reference=claim.reference, url=url)
    transaction.on_commit(lambda: send_mail(SUBJECTS[subject], body, None, recipients))
