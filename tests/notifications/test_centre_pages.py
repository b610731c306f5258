"""The notification centre pages its entries with a total, however many there are."""

import pytest
from django.urls import reverse

from notifications.models import Channel, Notification
from tests.factories import UserFactory
from tests.portal.test_selectors import _signed_in

pytestmark = pytest.mark.django_db


def _told(user, count: int) -> None:
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            channel=Channel.IN_APP,
            kind="message_received",
            title=f"Message {i}",
            idempotency_key=f"centre-test:{user.pk}:{i}",
        )
        for i in range(count)
    )


def test_the_centre_pages_fifty_at_a_time_and_gives_the_total():
    patient = UserFactory()
    _told(patient, 51)
    client = _signed_in(patient)

    first = client.get(reverse("notifications:centre")).content.decode()
    second = client.get(reverse("notifications:centre") + "?page=2").content.decode()

    assert "Notifications 1 to 50 of 51" in first
    assert 'rel="next" href="?page=2"' in first
    assert "Page 1 of 2" in first
    assert "Notification 51 of 51" in second
    assert first.count('<li class="notification') == 50
    assert second.count('<li class="notification') == 1


def test_a_page_beyond_the_last_shows_the_last():
    patient = UserFactory()
    _told(patient, 3)

    page = _signed_in(patient).get(reverse("notifications:centre") + "?page=9").content.decode()

    assert "Notifications 1 to 3 of 3" in page
    assert "Page 1 of" not in page
