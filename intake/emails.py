"""Emails intake sends itself: the reminder about an unfinished draft and the notice that it was
deleted. They name no health details: only names, dates and a link to sign in.

They stay direct mail, sent once the change commits, rather than notifications: a draft has no
reference and no case page yet. Everything else (what happens to a submitted claim, advocates'
invitations, a take-over link) goes through the notifications outbox."""

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from intake.models import Claim


def send_intake_email(*, template: str, to: str, context: dict) -> None:
    """Render `intake/email/<template>_subject.txt` and `..._body.txt` and send them to `to`."""
    subject = render_to_string(f"intake/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"intake/email/{template}_body.txt", context)
    send_mail(subject, body, None, [to])


def send_draft_email(*, claim: Claim, kind: str, deleted_on: datetime.date | None = None) -> None:
    """Send the 'reminder' (saying when the draft will be deleted) or 'purged' email about
    `claim`'s draft to its patient."""
    context = {
        "name": claim.claimant.get_short_name(),
        "started_on": claim.created_at,
        "deleted_on": deleted_on,
        "sign_in_url": settings.SITE_URL.rstrip("/") + reverse("dashboard"),
    }
    send_intake_email(template=f"draft_{kind}", to=claim.claimant.email, context=context)
