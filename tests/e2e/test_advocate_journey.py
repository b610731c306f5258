"""The patient invites an advocate, who accepts; the adjuster changes the claim's status and the
advocate sees it on their dashboard; the patient revokes and the advocate's next page is refused."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from intake.advocates.invitations import invitation_token
from intake.models import Authority, ClaimStatus
from tests.e2e.browser import sign_in
from tests.factories import AdvocateFactory, enrol_totp
from tests.notifications.conftest import make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _new_page(browser):
    page = browser.new_context().new_page()
    page.set_default_timeout(15_000)
    return page


def test_an_advocate_follows_a_claim_until_the_patient_revokes_their_authority(
    live_server, page, browser, assert_accessible
):
    world = make_world(ClaimStatus.ASSIGNED)
    reference = world.claim.reference
    advocate = AdvocateFactory(email="solicitor@example.org", full_name="Robin Shaw")

    # The patient invites the advocate for this claim, with updates.
    sign_in(page, live_server, world.patient)
    page.get_by_role("link", name="Your advocates").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People who act for you")
    assert_accessible(page)
    page.get_by_label("Their email address").fill("solicitor@example.org")
    page.get_by_label(re.compile(reference)).check()
    page.get_by_label("Receive updates by email and in the portal").check()
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("We have emailed your invitation")).to_be_visible()
    expect(page.get_by_role("cell", name="Invitation sent")).to_be_visible()

    # The advocate opens the emailed link and accepts.
    authority = Authority.objects.get(patient=world.patient)
    link = live_server.url + reverse("intake:authority_accept", args=[invitation_token(authority)])
    advocate_page = _new_page(browser)
    # One advocate reads many patients' records, so advocates sign in with a second factor too.
    sign_in(advocate_page, live_server, advocate, totp_secret=enrol_totp(advocate))
    advocate_page.goto(link)
    expect(advocate_page.get_by_role("heading", level=1)).to_contain_text("asks you to act")
    assert_accessible(advocate_page)
    advocate_page.get_by_role("button", name="Accept and act for them").click()
    expect(advocate_page.get_by_text("You now act for")).to_be_visible()
    row = advocate_page.get_by_role("row", name=re.compile(reference))
    expect(row).to_contain_text("With a claims handler")
    assert_accessible(advocate_page)

    # The adjuster starts the review; the advocate's dashboard shows the new status.
    staff = _new_page(browser)
    sign_in(staff, live_server, world.adjuster, totp_secret=enrol_totp(world.adjuster))
    staff.goto(f"{live_server.url}/work/claims/{world.claim.pk}/")
    staff.get_by_role("button", name="Acknowledge and start review").click()
    expect(staff.get_by_text("Claim acknowledged")).to_be_visible()

    advocate_page.reload()
    expect(row).to_contain_text("Being reviewed")
    row.get_by_role("link", name=reference).click()
    expect(advocate_page.get_by_role("heading", name="What has happened so far")).to_be_visible()
    case_url = advocate_page.url

    # The patient ends the authority; the advocate's next page load is refused.
    page.reload()
    page.get_by_role("link", name=re.compile("End authority")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Are you sure you want to end this authority?"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Yes, end the authority").click()
    expect(page.get_by_text("The authority has ended")).to_be_visible()

    response = advocate_page.goto(case_url)
    assert response.status == 404
    expect(advocate_page.get_by_role("heading", level=1)).to_have_text("Page not found")
    advocate_page.goto(f"{live_server.url}/")
    expect(advocate_page.get_by_role("heading", name="Authorities that have ended")).to_be_visible()
    expect(advocate_page.get_by_role("row", name=re.compile(reference))).to_have_count(0)
    advocate_page.get_by_role("link", name=re.compile("Notifications")).first.click()
    ended = advocate_page.get_by_role("heading", name=re.compile("A patient has ended your"))
    expect(ended).to_be_visible()
    assert_accessible(advocate_page)
