"""The adjuster's queue says where a page sits in the whole list ("Claims 26 to 30 of 30",
"Page 2 of 2"), keeps the filters from page to page, and costs the same queries however many
claims there are."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from intake.models import ClaimStatus
from tests.factories import AdjusterFactory, ClaimFactory, CoverageFactory
from tests.portal.test_selectors import _signed_in

pytestmark = pytest.mark.django_db


def _claims(adjuster, provider, count: int, status=ClaimStatus.UNDER_REVIEW):
    for n in range(count):
        ClaimFactory(
            status=status,
            provider=provider,
            insurer=adjuster.insurer,
            assigned_adjuster=adjuster,
            submitted_at=timezone.now(),
            decide_by=timezone.localdate() + datetime.timedelta(days=n + 1),
        )


@pytest.fixture
def adjuster():
    coverage = CoverageFactory()
    adjuster = AdjusterFactory(insurer=coverage.insurer)
    adjuster.provider = coverage.provider
    return adjuster


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_queue_gives_the_claims_shown_and_the_total(adjuster):
    _claims(adjuster, adjuster.provider, 30)
    client = _signed_in(adjuster)

    first = client.get(reverse("triage:queue"))
    second = client.get(reverse("triage:queue"), {"page": 2})

    assert "Claims 1 to 25 of 30" in _text(first)
    assert "Page 1 of 2" in _text(first)
    assert "Claims 26 to 30 of 30" in _text(second)
    assert "Page 2 of 2" in _text(second)
    assert "Next page" not in _text(second)


def test_the_page_links_keep_the_filters(adjuster):
    _claims(adjuster, adjuster.provider, 27, status=ClaimStatus.INFORMATION_REQUESTED)
    _claims(adjuster, adjuster.provider, 3)
    client = _signed_in(adjuster)

    page = client.get(reverse("triage:queue"), {"status": "information_requested", "sort": "due"})

    assert "Claims 1 to 25 of 27" in _text(page)
    next_link = re.search(r'<a rel="next" href="([^"]+)"', page.content.decode()).group(1)
    assert "status=information_requested" in next_link
    assert "page=2" in next_link
    last = client.get(reverse("triage:queue") + next_link.replace("&amp;", "&"))
    assert "Claims 26 to 27 of 27" in _text(last)


def test_a_page_past_the_last_shows_the_last(adjuster):
    _claims(adjuster, adjuster.provider, 3)

    page = _signed_in(adjuster).get(reverse("triage:queue"), {"page": 9})

    assert "Claims 1 to 3 of 3" in _text(page)


def test_one_claim_reads_in_the_singular(adjuster):
    _claims(adjuster, adjuster.provider, 1)

    page = _signed_in(adjuster).get(reverse("triage:queue"))

    assert "Claim 1 of 1" in _text(page)


def test_the_queue_costs_the_same_queries_with_few_or_many_claims(adjuster):
    client = _signed_in(adjuster)
    _claims(adjuster, adjuster.provider, 2)
    client.get(reverse("triage:queue"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("triage:queue"))
    _claims(adjuster, adjuster.provider, 60)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("triage:queue"))

    assert "of 62" in _text(page)
    assert len(few) == len(many)
