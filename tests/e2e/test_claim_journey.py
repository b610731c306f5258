"""A patient files a harm report in the browser, and another leaves half-way and resumes."""

import re

import pytest
from playwright.sync_api import expect

from intake.models import Claim, ClaimStatus
from tests.date_input_posts import fill_date
from tests.e2e.browser import sign_in
from tests.factories import CoverageFactory, ProviderFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_in_patient(page, live_server, user) -> None:
    sign_in(page, live_server, user)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your claims")


def _continue(page) -> None:
    page.get_by_role("button", name="Save and continue").click()


def _about_you(page) -> None:
    fill_date(page, "Date of birth", "1984-05-17")
    page.get_by_label("Phone number").fill("01632 960001")
    page.get_by_label("Postal address").fill("12 Mill Lane\nLeeds")


def test_patient_files_a_claim_through_every_step(live_server, page, assert_accessible):
    coverage = CoverageFactory(provider=ProviderFactory(name="Riverside Clinic"))
    ProviderFactory(name="Hilltop Hospital")
    patient = UserFactory()
    _sign_in_patient(page, live_server, patient)

    page.get_by_role("link", name="Make a new claim").click()
    assert_accessible(page)
    page.get_by_role("button", name="Start now").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("About you")
    _continue(page)  # nothing answered: the error summary appears and links to the fields
    expect(page.get_by_role("alert")).to_contain_text("Enter your date of birth.")
    assert_accessible(page)
    _about_you(page)
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Where the care happened")
    page.get_by_label("Search for the hospital, clinic or practice").fill("river")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_label("Hilltop Hospital")).to_have_count(0)
    assert_accessible(page)
    page.get_by_label(re.compile("Riverside Clinic")).check()
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("What happened")
    fill_date(page, "When did it happen?", "2025-02-10")
    fill_date(page, "When did you find out that the care had harmed you?", "2025-01-01")
    page.get_by_label("Surgery").check()
    page.get_by_label("What happened?").fill("A swab was left inside after my operation.")
    _continue(page)
    expect(page.get_by_role("alert")).to_contain_text(
        "The date you found out cannot be before the date it happened."
    )
    assert_accessible(page)
    fill_date(page, "When did you find out that the care had harmed you?", "2025-04-01")
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("The harm")
    assert_accessible(page)
    page.get_by_label("Severe or permanent").check()
    page.get_by_label("What injuries or illness did it cause?").fill("An infection.")
    page.get_by_label("Yes").check()
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Your losses")
    assert_accessible(page)
    page.get_by_label("Lost earnings", exact=True).check()
    page.get_by_label("Lost earnings: amount in pounds (optional)").fill("1200")
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Declaration")
    assert_accessible(page)
    page.get_by_label("I believe that the facts stated in this claim are true.").check()
    page.get_by_label(re.compile("shared with the insurer")).check()
    page.get_by_label(re.compile("obtain my medical records")).check()
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before sending your claim"
    )
    expect(page.get_by_text("A swab was left inside after my operation.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Send claim").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Claim sent")
    assert_accessible(page)
    claim = Claim.objects.get(claimant=patient)
    assert claim.status == ClaimStatus.SUBMITTED
    assert claim.provider == coverage.provider
    expect(page.locator(".reference")).to_have_text(claim.reference)

    page.get_by_role("link", name="See all your claims").click()
    expect(page.get_by_role("link", name=re.compile(claim.reference))).to_be_visible()
    page.get_by_role("link", name=re.compile(claim.reference)).click()
    expect(page.get_by_role("heading", name="What has happened so far")).to_be_visible()
    expect(page.locator(".timeline-title")).to_have_text(["Received"])
    assert_accessible(page)


def test_patient_leaves_half_way_and_resumes_the_draft(live_server, page, assert_accessible):
    patient = UserFactory()
    _sign_in_patient(page, live_server, patient)
    page.get_by_role("link", name="Make a new claim").click()
    page.get_by_role("button", name="Start now").click()
    _about_you(page)
    page.get_by_role("button", name="Save and come back later").click()

    expect(page.get_by_text("Your answers are saved.")).to_be_visible()
    page.context.clear_cookies()
    _sign_in_patient(page, live_server, patient)
    page.get_by_role("link", name=re.compile("Draft claim")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Where the care happened")
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_label("Phone number")).to_have_value("01632 960001")
    assert_accessible(page)


def test_patient_is_warned_when_the_time_limit_is_near(live_server, page):
    patient = UserFactory()
    _sign_in_patient(page, live_server, patient)
    page.get_by_role("link", name="Make a new claim").click()
    page.get_by_role("button", name="Start now").click()
    _about_you(page)
    _continue(page)
    page.get_by_label("My provider is not listed: its name and town").fill("Bay Clinic, Hull")
    _continue(page)
    fill_date(page, "When did it happen?", "2020-01-10")
    fill_date(page, "When did you find out that the care had harmed you?", "2020-02-01")
    page.get_by_label("Consent").check()
    page.get_by_label("What happened?").fill("I was not told of the risks.")
    _continue(page)
    page.goto(page.url.replace("/answers/the-harm/", "/check-answers/"))

    expect(page.get_by_role("note")).to_contain_text("which has passed")
    expect(page.get_by_role("button", name="Send claim")).to_be_disabled()
