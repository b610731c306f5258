"""Words for each audience: the patient reads "you" and "your claim", an advocate reads of "your
client", and the insurer's staff of "the claimant". The same claim is shown to all three."""

import html as html_text
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from intake.models import ClaimMessage, ClaimStatus
from intake.patient_status import PATIENT_STATUSES
from tests.factories import AdvocateFactory, AuthorityFactory
from tests.portal.test_selectors import _signed_in
from tests.triage.test_views import Insurer

pytestmark = pytest.mark.django_db

#: Every status a submitted claim can show on its case page.
SHOWN = [status for status in ClaimStatus.values if status != ClaimStatus.DRAFT]


def _main(response) -> str:
    """The page's main content as a reader sees it (entities decoded, tags dropped), lower case:
    the header and footer are the same for everyone."""
    assert response.status_code == 200
    body = re.search(r"<main\b.*?</main>", response.content.decode(), re.S).group(0)
    return " ".join(html_text.unescape(re.sub(r"<[^>]+>", " ", body)).split()).lower()


@pytest.fixture
def world():
    insurer = Insurer("Asha Patel")
    claim = insurer.routed_claim()
    advocate = AdvocateFactory(advocate_verified_at=timezone.now())
    AuthorityFactory(patient=claim.claimant, advocate=advocate, claim=claim)
    ClaimMessage.objects.create(claim=claim, author=claim.claimant, body="I have the letter.")
    return insurer, claim, advocate


def _with_status(claim, status):
    type(claim).objects.filter(pk=claim.pk).update(status=status)
    claim.refresh_from_db()
    return claim


@pytest.mark.parametrize("status", SHOWN)
def test_the_advocates_case_page_speaks_of_your_client_never_your_claim(world, status):
    _, claim, advocate = world
    _with_status(claim, status)

    page = _main(_signed_in(advocate).get(reverse("intake:claim_detail", args=[claim.pk])))

    assert "your claim" not in page  # "your claims handler" is caught too
    assert "your client" in page
    assert str(PATIENT_STATUSES[status].advocate_next_step).lower() in page


@pytest.mark.parametrize("status", SHOWN)
def test_the_patients_case_page_speaks_to_them(world, status):
    _, claim, _ = world
    _with_status(claim, status)

    page = _main(_signed_in(claim.claimant).get(reverse("intake:claim_detail", args=[claim.pk])))

    assert "your client" not in page
    assert str(PATIENT_STATUSES[status].next_step).lower() in page


def test_the_advocates_dashboard_lists_the_next_step_in_their_words(world):
    _, claim, advocate = world
    _with_status(claim, ClaimStatus.INFORMATION_REQUESTED)

    page = _main(_signed_in(advocate).get(reverse("dashboard")))

    assert "the claims handler has asked for more information. reply on your client's claim" in (
        page
    )
    assert "information needed from you" not in page
    assert "your claim" not in page


def test_the_patients_dashboard_still_says_your_claim(world):
    _, claim, _ = world
    _with_status(claim, ClaimStatus.INFORMATION_REQUESTED)

    page = _main(_signed_in(claim.claimant).get(reverse("dashboard")))

    assert "information needed from you" in page
    assert "reply on your claim page" in page


def test_the_thread_names_the_patient_in_each_readers_words(world):
    insurer, claim, advocate = world
    url = reverse("intake:claim_detail", args=[claim.pk])

    as_patient = _main(_signed_in(claim.claimant).get(url))
    as_advocate = _main(_signed_in(advocate).get(url))
    as_adjuster = _main(
        _signed_in(insurer.adjuster).get(reverse("triage:claim_work", args=[claim.pk]))
    )

    assert "you ·" in as_patient
    assert "your client ·" in as_advocate
    assert "claimant ·" in as_adjuster


@pytest.mark.parametrize("status", [ClaimStatus.UNDER_REVIEW, ClaimStatus.OFFER_MADE])
def test_the_staff_claim_page_speaks_of_the_claimant_never_to_them(world, status):
    insurer, claim, _ = world
    _with_status(claim, status)

    page = _main(_signed_in(insurer.adjuster).get(reverse("triage:claim_work", args=[claim.pk])))

    assert "the claimant" in page
    assert "your claim" not in page
    assert "your client" not in page


def test_every_status_has_words_for_an_advocate_that_do_not_speak_to_the_patient():
    for status, shown in PATIENT_STATUSES.items():
        words = f"{shown.advocate_label} {shown.advocate_next_step}".lower()
        assert "your claim" not in words, status
        assert "from you" not in words, status
        assert not words.startswith("you "), status
