"""Notification emails: what they say and how a mail server's refusal is read.

An email names the event in general words, the claim's reference and a link to sign in; never the
claim's description, harm, injuries, amounts or documents. The templates receive nothing else.
"""

import functools
import hashlib
import smtplib
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse

from notifications.models import Notification
from portal.models import Role, User

#: What an email reads of its row, the only columns delivery loads: the claim's reference and
#: nothing else of the claim, and the recipient's address, name and role (for the link).
NOTIFICATION_EMAIL_FIELDS = (
    "title",
    "idempotency_key",
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


def _build(*, template: str, context: dict, to: str, key: str) -> EmailMultiAlternatives:
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}_body.txt", context),
        to=[to],
        headers={"Message-ID": _message_id(key)},
    )
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
