"""The form patterns in a real browser: a question page with the date input, large radios and a
character count, at phone and desktop width, axe clean, the count following what is typed."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from intake.services import claim_draft_start
from tests.date_input_posts import fill_date
from tests.e2e.browser import sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WHEN = "When did it happen?"
FOUND_OUT = "When did you find out that the care had harmed you?"


@pytest.fixture
def what_happened(live_server, page):
    """The patient on the "What happened" page of a new draft; the page's URL."""
    patient = UserFactory()
    draft = claim_draft_start(patient=patient)
    sign_in(page, live_server, patient)
    url = live_server.url + reverse("intake:claim_step", args=[draft.pk, "what-happened"])
    page.goto(url)
    return url


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [390, 1280])
def test_the_question_page_is_accessible_at_phone_and_desktop_width(
    page, what_happened, assert_accessible, width
):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(what_happened)

    when = page.get_by_role("group", name=WHEN, exact=True)
    expect(when.get_by_label("Day", exact=True)).to_have_attribute("inputmode", "numeric")
    expect(when).to_contain_text("For example, 27 3 2007")
    assert_accessible(page)
    assert _no_sideways_scroll(page)

    # A month left out: the summary names it and its link lands in the month's box.
    fill_date(page, WHEN, ("10", "", "2025"))
    fill_date(page, FOUND_OUT, "2025-03-01")
    page.get_by_role("button", name="Save and continue").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The date it happened must include a month.")
    assert_accessible(page)
    assert _no_sideways_scroll(page)
    summary.get_by_role("link", name="The date it happened must include a month.").click()
    month = page.get_by_role("group", name=WHEN, exact=True).get_by_label("Month", exact=True)
    expect(month).to_be_focused()
    expect(month).to_have_attribute("aria-invalid", "true")
    when = page.get_by_role("group", name=WHEN, exact=True)
    expect(when.get_by_label("Day", exact=True)).to_have_value("10")
    expect(when.get_by_label("Year", exact=True)).to_have_value("2025")


def test_the_character_count_follows_what_is_typed(page, what_happened):
    story = page.get_by_label("What happened?", exact=True)
    shown = page.locator(".character-count-status")
    announced = page.locator(".character-count [aria-live='polite']")

    expect(shown).to_have_text("You have 5,000 characters remaining")
    expect(story).not_to_have_attribute("maxlength", "5000")  # over the limit is shown, not cut
    story.fill("The wrong knee")
    expect(shown).to_have_text("You have 4,986 characters remaining")
    # Screen readers hear it once typing pauses.
    expect(announced).to_have_text("You have 4,986 characters remaining")

    story.fill("a" * 5001)
    expect(shown).to_have_text("You have 1 character too many")
    expect(shown).to_have_class("hint character-count-status over")

    # The server still refuses it, and keeps what was typed.
    fill_date(page, WHEN, "2025-02-10")
    fill_date(page, FOUND_OUT, "2025-03-01")
    page.get_by_label("Surgery").check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("alert")).to_contain_text("at most 5000 characters")
    expect(page.get_by_label("What happened?", exact=True)).to_have_value("a" * 5001)


def test_radios_are_large_targets_chosen_by_their_label(page, what_happened):
    page.get_by_text("Surgery", exact=True).click()

    radio = page.get_by_label("Surgery")
    expect(radio).to_be_checked()
    box = radio.bounding_box()
    assert box["width"] >= 40 and box["height"] >= 40
