"""The adjuster acknowledges a claim in one browser; in the other the patient sees the unread
badge, finds the entry in the notification centre, follows it to the case and marks it read."""

import re

import pytest
from playwright.sync_api import expect

from intake.models import ClaimStatus
from tests.e2e.browser import sign_in
from tests.factories import enrol_totp
from tests.notifications.conftest import make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_patient_sees_the_adjusters_change_in_the_notification_centre(
    live_server, page, browser, assert_accessible
):
    world = make_world(ClaimStatus.ASSIGNED)
    secret = enrol_totp(world.adjuster)
    reference = world.claim.reference

    sign_in(page, live_server, world.patient)
    header_link = page.locator(".account-bar").get_by_role("link", name=re.compile("Notifications"))
    expect(header_link).to_have_text("Notifications")

    staff = browser.new_context().new_page()
    staff.set_default_timeout(15_000)
    sign_in(staff, live_server, world.adjuster, totp_secret=secret)
    staff.goto(f"{live_server.url}/work/claims/{world.claim.pk}/")
    staff.get_by_role("button", name="Acknowledge and start review").click()
    expect(staff.get_by_text("Claim acknowledged")).to_be_visible()

    page.reload()
    expect(header_link).to_have_text("Notifications 1 unread")
    assert_accessible(page)
    header_link.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    entry = page.locator("li.notification.unread")
    expect(entry).to_have_count(1)
    expect(entry.get_by_role("heading")).to_contain_text("Your claim has been acknowledged")
    expect(entry).to_contain_text(f"Claim {reference}")
    assert_accessible(page)

    entry.get_by_role("link", name=f"Open claim {reference}").click()
    expect(page).to_have_url(re.compile(f"/claims/{world.claim.pk}/$"))
    expect(page.get_by_role("heading", name="What has happened so far")).to_be_visible()

    page.go_back()
    page.get_by_role("button", name=re.compile("Mark as read")).click()
    expect(page.locator("li.notification.unread")).to_have_count(0)
    expect(header_link).to_have_text("Notifications")
    assert_accessible(page)
