"""The 500 page renders with nothing but settings: no request, no context processors, no
database (no django_db mark here, so any query would fail the test)."""

from django.template.loader import render_to_string
from django.test import override_settings


@override_settings(SERVICE_CONTACT_PHONE="0300 000 0000", SERVICE_CONTACT_EMAIL="ask@example.org")
def test_the_500_page_needs_no_database_and_gives_the_contact_details():
    page = render_to_string("500.html")

    assert "Sorry, there is a problem with the service" in page
    assert "0300 000 0000" in page
    assert 'href="mailto:ask@example.org"' in page
    assert 'class="site-header"' in page
