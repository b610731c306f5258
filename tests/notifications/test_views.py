"""The header badge, the notification centre, read marks and preferences, from outside."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from intake.models import ClaimStatus
from intake.services import claim_transition
from notifications.models import Channel, Notification, NotificationPreference
from portal.models import AuditAction, AuditEvent
from tests.factories import UserFactory
from tests.portal.test_selectors import _signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def told(world, django_capture_on_commit_callbacks):
    """The patient has one unread notification: their claim was acknowledged."""
    with django_capture_on_commit_callbacks(execute=True):
        claim_transition(
            claim=world.claim, to_status=ClaimStatus.UNDER_REVIEW, actor=world.adjuster
        )
    return world


def test_the_header_shows_the_unread_count_with_one_query(told):
    client = _signed_in(told.patient)

    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("dashboard")).content.decode()

    assert '<span class="notification-badge">1<span class="visually-hidden"> unread</span>' in page
    assert len([q for q in queries if "notifications_notification" in q["sql"]]) == 1


def test_the_centre_lists_the_entry_with_a_link_to_the_case(told):
    client = _signed_in(told.patient)

    page = client.get(reverse("notifications:centre")).content.decode()

    assert "Your claim has been acknowledged" in page
    assert told.claim.reference in page
    assert reverse("intake:claim_detail", args=[told.claim.pk]) in page


def test_staff_entries_link_to_the_staff_claim_page(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        claim_transition(claim=world.claim, to_status=ClaimStatus.WITHDRAWN, actor=world.patient)
    client = _signed_in(world.adjuster)

    page = client.get(reverse("notifications:centre")).content.decode()

    assert "A claim assigned to you has been withdrawn" in page
    assert reverse("triage:claim_work", args=[world.claim.pk]) in page


def test_marking_read_takes_a_post_and_clears_the_badge(told):
    client = _signed_in(told.patient)
    entry = Notification.objects.get(recipient=told.patient, channel=Channel.IN_APP)
    url = reverse("notifications:mark_read", args=[entry.pk])

    assert client.get(url).status_code == 405
    response = client.post(url)

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.read_at is not None
    assert "notification-badge" not in client.get(reverse("dashboard")).content.decode()


def test_another_persons_notification_answers_404_and_is_audited(told):
    entry = Notification.objects.get(recipient=told.patient, channel=Channel.IN_APP)
    intruder = UserFactory()
    client = _signed_in(intruder)

    assert client.post(reverse("notifications:mark_read", args=[entry.pk])).status_code == 404
    assert told.claim.reference not in client.get(reverse("notifications:centre")).content.decode()
    entry.refresh_from_db()
    assert entry.read_at is None
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=intruder).exists()


def test_mark_all_read(told):
    client = _signed_in(told.patient)

    client.post(reverse("notifications:mark_all_read"))

    unread = Notification.objects.filter(
        recipient=told.patient, channel=Channel.IN_APP, read_at__isnull=True
    )
    assert not unread.exists()


def test_preferences_page_saves_choices_and_shows_mandatory_ones_as_always_sent(world):
    client = _signed_in(world.patient)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert "Always sent" in page
    assert 'name="claim_acknowledged:email"' in page
    assert 'name="information_requested:email"' not in page

    client.post(reverse("notifications:preferences"), {"claim_acknowledged:in_app": "on"})

    off = set(
        NotificationPreference.objects.filter(user=world.patient, enabled=False).values_list(
            "kind", "channel"
        )
    )
    assert ("claim_acknowledged", "email") in off
    assert ("claim_acknowledged", "in_app") not in off
    assert not any(kind == "information_requested" for kind, _channel in off)


def test_staff_can_choose_the_daily_digest(world):
    client = _signed_in(world.adjuster)

    assert "one email a day" in client.get(reverse("notifications:preferences")).content.decode()
    client.post(reverse("notifications:preferences"), {"digest": "on"})

    assert world.adjuster.email_digest.enabled
