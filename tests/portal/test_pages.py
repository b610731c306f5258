"""The service's own pages: help, contact and the accessibility statement, linked from every
page's footer, open to anyone, with the contact details the settings give."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = [("help", "Help"), ("contact", "Contact us"), ("accessibility", "Accessibility statement")]


@pytest.mark.parametrize(("name", "heading"), PAGES)
def test_each_page_is_public_and_gives_the_contact_details(client, settings, name, heading):
    settings.SERVICE_CONTACT_EMAIL = "desk@portal.example"
    settings.SERVICE_CONTACT_PHONE = "0300 999 0000"

    response = client.get(reverse(name))

    page = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in page
    assert "desk@portal.example" in page
    assert "0300 999 0000" in page


def test_every_page_footer_links_to_them_and_the_page_has_an_icon(client):
    page = client.get(reverse("account_login")).content.decode()

    for name, label in PAGES:
        assert f'<a href="{reverse(name)}">{label}</a>' in page
    assert 'rel="icon"' in page


def test_the_footer_links_to_the_privacy_notice_once_it_is_served(client):
    page = client.get(reverse("home")).content.decode()

    assert "Privacy notice" in page
