"""Notification emails: what they say and how a mail server's refusal is read.

An email names the event in general words, the claim's reference and a link to sign in; never the
claim's description, harm, injuries, amounts or documents. The templates receive nothing else. An
addressed email (an advocate's invitation, a take-over link, a draft's reminder or deletion notice)
names who acts or the draft's dates, carries its link, and names nothing a claim says.
"""

import functools
import hashlib
import smtplib
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse

from intake.advocates.invitations import (
    INVITATION_DAYS,
    authorities_url,
    invitation_url,
    takeover_url,
)
from notifications.events import ADDRESSED_EMAILS, EventKind
from notifications.models import Notification
from portal.models import Role, User

#: What an email reads of its row, the only columns delivery loads: the claim's reference and
#: nothing else of the claim, and the recipient's address, name and role (for the link).
NOTIFICATION_EMAIL_FIELDS = (
    "kind",
    "title",
    "idempotency_key",
    "recipient_email",
    "draft_started_on",
    "draft_deleted_on",
    "authority",
    "actor",
    "claim",
    "claim__reference",
    "recipient",
    "recipient__email",
    "recipient__full_name",
    "recipient__role",
)


def case_path(*, user: User, claim_id) -> str:
    """Where `user` opens the claim: the patient's case page, or the staff's claim page."""
    if user.is_insurer_staff:
        return reverse("triage:claim_work", args=[claim_id])
    if user.role in (Role.PATIENT, Role.ADVOCATE):
        return reverse("intake:claim_detail", args=[claim_id])
    return page_path("notifications:centre")


def page_path(viewname: str) -> str:
    """The path of a page that takes no arguments. Remembered for the URL configuration and
    script prefix in force: every email of a batch names the same few pages, and reversing one
    costs about as much as rendering a template."""
    return _page_path(viewname, settings.ROOT_URLCONF, get_urlconf(), get_script_prefix())


@functools.lru_cache(maxsize=64)
def _page_path(viewname: str, _root_urlconf: str, urlconf: str | None, _prefix: str) -> str:
    return reverse(viewname, urlconf=urlconf)


def sign_in_url(*, next_path: str) -> str:
    query = urlencode({"next": next_path})
    return f"{settings.SITE_URL.rstrip('/')}{page_path('account_login')}?{query}"


def _message_id(key: str) -> str:
    """Stable across retries, so a mail system that sees a message twice can drop the repeat."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def notification_email(notification: Notification) -> EmailMultiAlternatives:
    """The email for one notification (reference, title and link only)."""
    if notification.kind in ADDRESSED_EMAILS:
        return addressed_email(notification)
    recipient = notification.recipient
    if notification.claim_id:
        next_path = case_path(user=recipient, claim_id=notification.claim_id)
    else:
        next_path = page_path("notifications:centre")
    context = {
        "name": recipient.get_short_name(),
        "title": notification.title,
        "reference": notification.claim.reference if notification.claim_id else "",
        "sign_in_url": sign_in_url(next_path=next_path),
        "preferences_url": sign_in_url(next_path=page_path("notifications:preferences")),
    }
    return _build(
        template="notifications/email/event",
        context=context,
        to=recipient.email,
        key=notification.idempotency_key,
    )


def digest_email(*, user: User, notifications: list[Notification], key: str):
    """One email listing the day's notifications of `user`: titles and references only."""
    context = {
        "name": user.get_short_name(),
        "items": [
            {"title": n.title, "reference": n.claim.reference if n.claim_id else ""}
            for n in notifications
        ],
        "sign_in_url": sign_in_url(next_path=page_path("notifications:centre")),
        "preferences_url": sign_in_url(next_path=page_path("notifications:preferences")),
    }
    return _build(template="notifications/email/digest", context=context, to=user.email, key=key)


def addressed_email(notification: Notification) -> EmailMultiAlternatives:
    """An addressed email (ADDRESSED_EMAILS), plain text: who acts (or a draft's dates), and a
    link made now, so the secret it carries (a signed invitation, a password link) is never
    stored. Nothing of any claim is named: the person reads that once signed in."""
    recipient = notification.recipient
    actor = notification.actor
    context = {
        "name": recipient.get_short_name() if recipient else "",
        "actor_name": actor.get_full_name() if actor else "",
        "actor_email": actor.email if actor else "",
        "link": _ADDRESSED_LINKS[notification.kind](notification),
        "days": INVITATION_DAYS,
        "started_on": notification.draft_started_on,
        "deleted_on": notification.draft_deleted_on,
    }
    return _build(
        template=f"notifications/email/{notification.kind}",
        context=context,
        to=recipient.email if recipient else notification.recipient_email,
        key=notification.idempotency_key,
        html=False,
    )


_ADDRESSED_LINKS = {
    EventKind.ADVOCATE_INVITATION: lambda n: invitation_url(n.authority),
    EventKind.ACCOUNT_TAKEOVER: lambda n: takeover_url(n.recipient),
    EventKind.ADVOCATE_INVITE_REQUEST: lambda n: authorities_url(),
    # Where the patient continues their draft, or starts a new claim.
    EventKind.DRAFT_REMINDER: lambda n: _site_url("dashboard"),
    EventKind.DRAFT_PURGED: lambda n: _site_url("dashboard"),
}


def _site_url(viewname: str) -> str:
    return settings.SITE_URL.rstrip("/") + page_path(viewname)


def _build(
    *, template: str, context: dict, to: str, key: str, html: bool = True
) -> EmailMultiAlternatives:
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}_body.txt", context),
        to=[to],
        headers={"Message-ID": _message_id(key)},
    )
    if html:
        message.attach_alternative(render_to_string(f"{template}_body.html", context), "text/html")
    return message


def is_permanent(error: Exception) -> bool:
    """Whether retrying cannot help: the server refused the address or the message for good
    (a 5xx answer). Connection failures and 4xx answers are worth another try."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    # A provider's API through django-anymail: a refused recipient is permanent.
    return type(error).__name__ in ("AnymailRecipientsRefused", "AnymailInvalidAddress")


def describe(error: Exception) -> str:
    """A short account of the failure for administrators: the server's code and words."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = [
            f"{code} {message.decode(errors='replace') if isinstance(message, bytes) else message}"
            for code, message in error.recipients.values()
        ]
        text = "Recipient refused: " + "; ".join(answers)
    elif isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error
        if isinstance(message, bytes):
            message = message.decode(errors="replace")
        text = f"SMTP {error.smtp_code}: {message}"
    else:
        text = f"{type(error).__name__}: {error}"
    return text[:300]
