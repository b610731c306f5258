"""Languages: the footer's switcher posts to Django's set_language view; the Welsh catalogue
(locale/cy, compiled by scripts/bootstrap.sh) turns the patient pages into Welsh, strings not
yet translated stay in English, and the choice lasts (the language cookie)."""

import html as html_text
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import complete_draft
from tests.portal.test_selectors import _signed_in

pytestmark = pytest.mark.django_db

CATALOGUE = settings.BASE_DIR / "locale" / "cy" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")


@pytest.fixture(autouse=True)
def _compiled_catalogue():
    assert COMPILED.exists() and COMPILED.stat().st_mtime >= CATALOGUE.stat().st_mtime, (
        "The Welsh catalogue is not compiled: run scripts/bootstrap.sh (make test does)."
    )


def _switch(client: Client, language: str, next_url: str = "/"):
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


def _page(response) -> str:
    assert response.status_code == 200
    return html_text.unescape(response.content.decode())


def _h1(page: str) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1).strip()


def _html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]*)"', page).group(1)


def test_english_is_the_default_and_the_switcher_offers_cymraeg():
    page = _page(Client().get(reverse("home")))

    assert _html_lang(page) == "en-gb"
    assert _h1(page) == "Claim compensation for harm in healthcare"
    switcher = re.search(r'<form class="language-switcher".*?</form>', page, re.S).group(0)
    assert f'action="{reverse("set_language")}"' in switcher
    assert 'name="language" value="cy"' in switcher
    assert '<span lang="cy">Cymraeg</span>' in switcher
    assert '<span aria-current="true" lang="en-gb">English</span>' in switcher


def test_switching_to_cymraeg_shows_the_home_page_in_welsh():
    client = Client()

    switched = _switch(client, "cy", reverse("home"))
    page = _page(client.get(reverse("home")))

    assert (switched.status_code, switched.headers["Location"]) == (302, reverse("home"))
    assert _html_lang(page) == "cy"
    assert _h1(page) == "Hawlio iawndal am niwed mewn gofal iechyd"
    assert "Cyn i chi ddechrau" in page
    assert '<span aria-current="true" lang="cy">Cymraeg</span>' in page
    assert 'name="language" value="en-gb"' in page


def test_the_question_pages_are_in_welsh_and_untranslated_strings_fall_back_to_english(patient):
    draft = complete_draft(patient)
    client = _signed_in(patient)
    _switch(client, "cy")

    page = _page(client.get(reverse("intake:claim_step", args=[draft.pk, "about-you"])))

    assert _html_lang(page) == "cy"
    assert _h1(page) == "Amdanoch chi"
    assert "Tudalen gwestiynau 1 o" in page
    assert "Cadw a pharhau" in page
    assert "Dyddiad geni" in page
    # Left untranslated in the catalogue on purpose: the English words stand in.
    untranslated = "NHS number or insurance number (optional)"
    assert f'msgid "{untranslated}"\nmsgstr ""\n' in CATALOGUE.read_text()
    assert untranslated in page


def test_the_case_page_gives_its_headings_and_status_in_welsh(patient):
    from intake.services import claim_submit

    claim = claim_submit(claim=complete_draft(patient), user=patient)
    client = _signed_in(patient)
    _switch(client, "cy")

    page = _page(client.get(reverse("intake:claim_detail", args=[claim.pk])))

    assert "Beth sy'n digwydd nesaf, ac erbyn pryd" in page
    assert "Beth sydd wedi digwydd hyd yma" in page
    assert "Statws:" in page
    assert "Wedi dod i law" in page  # the status label


def test_the_choice_lasts_across_pages_and_sign_in_and_can_be_undone(patient):
    client = Client()
    _switch(client, "cy")

    cookie = client.cookies[settings.LANGUAGE_COOKIE_NAME]
    client.force_login(patient)
    dashboard = _page(client.get(reverse("dashboard")))
    client.post(reverse("account_logout"))
    after_sign_out = _page(client.get(reverse("home")))
    _switch(client, "en-gb")
    back = _page(client.get(reverse("home")))

    assert cookie.value == "cy"
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert _h1(dashboard) == "Eich hawliadau"
    assert _html_lang(after_sign_out) == "cy"
    assert (_html_lang(back), _h1(back)) == ("en-gb", "Claim compensation for harm in healthcare")


def test_a_language_not_offered_leaves_the_pages_in_english():
    client = Client()

    # Django has a French catalogue of its own, but the portal does not offer French.
    _switch(client, "fr")
    page = _page(client.get(reverse("home")))

    assert (_html_lang(page), _h1(page)) == ("en-gb", "Claim compensation for harm in healthcare")
