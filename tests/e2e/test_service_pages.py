"""The service's own pages pass axe in a real browser, at phone and desktop width."""

import pytest

from tests.documents import samples
from tests.documents.conftest import stored, submitted_claim
from tests.e2e.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("path", ["/help/", "/contact/", "/accessibility/"])
def test_the_service_pages_are_accessible(live_server, page, assert_accessible, path, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}{path}")

    assert_accessible(page)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{path} scrolls sideways at {width}px"


def test_the_documents_table_reflows_at_phone_width_without_breaking_words(
    live_server, page, assert_accessible
):
    claim = submitted_claim()
    stored(claim, samples.pdf(), name="discharge-letter-from-the-ward.pdf")
    sign_in(page, live_server, claim.claimant)
    page.set_viewport_size({"width": 390, "height": 900})

    page.goto(f"{live_server.url}/claims/{claim.pk}/")

    cell = page.locator("td.document-name")
    # One line for the name: nothing broke it in the middle of a word.
    assert cell.evaluate("c => c.getClientRects().length") == 1
    height = cell.evaluate("c => c.getBoundingClientRect().height")
    line = cell.evaluate("c => parseFloat(getComputedStyle(c).lineHeight)")
    assert height < 2 * line + 16
    wide = page.evaluate(
        "[...document.querySelectorAll('main *')]"
        ".filter(e => e.getBoundingClientRect().right > 391)"
        ".map(e => e.tagName + '.' + e.className).slice(0, 8)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    assert_accessible(page)
