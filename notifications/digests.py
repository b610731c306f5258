"""The daily digest: one email per person who chose it, listing the emails held for it.

Its rows are taken for sending (DIGESTING, under a lock) before the digest is sent, and recorded
sent after, as delivery does for single emails; a digest whose worker was lost is sent again as it
was, with the same Message-ID."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from notifications import delivery, emails, recording
from notifications.models import EmailDigest, Notification, State

logger = logging.getLogger(__name__)


def notification_digests_send(*, now: datetime | None = None) -> int:
    """Send each person with emails held for the digest one email listing them, and mark those
    sent. Safe to repeat: the rows are taken for sending first, and sent rows are not listed again.
    A digest whose worker was lost is sent again as it was, with the same Message-ID. Returns the
    count."""
    now = now or timezone.now()
    lost_before = now - timedelta(minutes=settings.NOTIFICATION_REQUEUE_MINUTES)
    user_ids = list(
        _digest_rows(lost_before=lost_before).values_list("recipient_id", flat=True).distinct()
    )
    sent = 0
    for user_id in user_ids:
        held = _take_digest(user_id=user_id, lost_before=lost_before, now=now)
        if held and _send_digest(user_id=user_id, held=held, now=now):
            sent += 1
    return sent


def _digest_rows(*, lost_before: datetime) -> QuerySet[Notification]:
    """Rows held for a digest, and rows of a digest whose worker is presumed lost."""
    return Notification.objects.filter(
        Q(state=State.DIGEST) | Q(state=State.DIGESTING, next_attempt_at__lt=lost_before)
    )


def _take_digest(*, user_id: int, lost_before: datetime, now: datetime) -> list[Notification]:
    """Lock and mark DIGESTING the rows of one person's digest: a lost digest's rows alone if
    there is one (so its repeat lists the same rows under the same Message-ID), else those held."""
    with transaction.atomic():
        rows = (
            _digest_rows(lost_before=lost_before)
            .select_for_update(of=("self",), skip_locked=True)
            .select_related("claim", "recipient")
            .filter(recipient_id=user_id)
            .order_by("created_at", "id")
        )
        held = list(rows)
        lost = [n for n in held if n.state == State.DIGESTING]
        held = lost or held
        Notification.objects.filter(pk__in=[n.pk for n in held]).update(
            state=State.DIGESTING, next_attempt_at=now
        )
    return held


def _send_digest(*, user_id: int, held: list[Notification], now: datetime) -> bool:
    ids = [n.pk for n in held]
    key = f"digest:{user_id}:{held[-1].pk}"
    try:
        emails.digest_email(user=held[0].recipient, notifications=held, key=key).send()
    except Exception as error:  # kept for tomorrow's digest; administrators see why
        last_error = emails.describe(error)
        recording.write_with_retry(
            lambda: Notification.objects.filter(pk__in=ids, state=State.DIGESTING).update(
                state=State.DIGEST, last_error=last_error
            ),
            what=f"the failed digest of user {user_id}",
        )
        logger.warning("The digest for user %s could not be sent", user_id)
        return False
    delivery.notifications_record_sent(notification_ids=ids, sent_at=now)
    recording.write_with_retry(
        lambda: EmailDigest.objects.filter(user_id=user_id).update(last_sent_at=now),
        what=f"the digest time of user {user_id}",
    )
    return True
