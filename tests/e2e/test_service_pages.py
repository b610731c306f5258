"""The service's own pages pass axe in a real browser, at phone and desktop width."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("path", ["/help/", "/contact/", "/accessibility/"])
def test_the_service_pages_are_accessible(live_server, page, assert_accessible, path, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}{path}")

    assert_accessible(page)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{path} scrolls sideways at {width}px"
