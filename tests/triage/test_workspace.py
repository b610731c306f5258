"""The triage lead's workspace: counts, teams' unassigned claims, people on leave, workload, and
one click from each to the claims list filtered to match; the assign page names adjusters."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from intake.models import ClaimStatus
from tests.factories import AdjusterFactory, ClaimFactory, CoverageFactory, TriageLeadFactory
from tests.portal.test_selectors import _signed_in
from triage.models import AdjusterProfile, Team

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.localdate() - datetime.timedelta(days=30)


@pytest.fixture
def world():
    coverage = CoverageFactory()
    insurer = coverage.insurer
    team = Team.objects.create(insurer=insurer, name="General")
    quiet = Team.objects.create(insurer=insurer, name="Quiet")
    busy = AdjusterFactory(insurer=insurer, full_name="Asha Patel", email="asha@insurer.example")
    away = AdjusterFactory(insurer=insurer, full_name="Ben Okoro", email="ben@insurer.example")
    AdjusterProfile.objects.create(user=busy, capacity=2)
    AdjusterProfile.objects.create(user=away, capacity=10, on_leave=True)
    team.members.add(busy, away)
    lead = TriageLeadFactory(insurer=insurer)

    def claim(**fields):
        return ClaimFactory(
            **{"insurer": insurer, "provider": coverage.provider, "submitted_at": timezone.now()}
            | fields
        )

    return {
        "lead": lead,
        "team": team,
        "quiet": quiet,
        "busy": busy,
        "away": away,
        "claim": claim,
        "insurer": insurer,
    }


def _page(world) -> str:
    response = _signed_in(world["lead"]).get(reverse("triage:lead_workspace"))
    assert response.status_code == 200
    return response.content.decode()


def _links(page: str) -> dict[str, str]:
    """Links into the claims list: their query string -> their text (without hidden words)."""
    found = {}
    for href, text in re.findall(r'<a href="/oversight/claims/\?([^"]*)">(.*?)</a>', page):
        found[href.replace("&amp;", "&")] = re.sub(r"<span.*?</span>", "", text).strip()
    return found


def test_the_workspace_counts_and_links_to_each_filtered_list(world):
    claim = world["claim"]
    for _ in range(3):
        claim(status=ClaimStatus.NEEDS_TRIAGE)
    claim(status=ClaimStatus.ASSIGNED, acknowledge_by=LONG_AGO, assigned_adjuster=world["busy"])
    for _ in range(2):
        claim(status=ClaimStatus.UNDER_REVIEW, decide_by=LONG_AGO, assigned_adjuster=world["busy"])
    for _ in range(4):
        claim(status=ClaimStatus.SUBMITTED, team=world["team"])

    links = _links(_page(world))

    assert links["status=needs_triage"] == "3 claims"
    assert links["overdue=acknowledge"] == "1 claim"
    assert links["overdue=decide"] == "2 claims"
    assert links[f"team={world['team'].pk}&status=submitted"] == "4 claims"
    assert f"team={world['quiet'].pk}&status=submitted" not in links  # nothing waiting
    # Asha holds 3 open claims against a capacity of 2.
    assert links[f"adjuster={world['busy'].pk}&status=open"] == "3"


def test_each_workspace_link_lists_the_claims_it_counted(world):
    claim = world["claim"]
    waiting = [claim(status=ClaimStatus.SUBMITTED, team=world["team"]) for _ in range(2)]
    late = claim(status=ClaimStatus.UNDER_REVIEW, decide_by=LONG_AGO)
    client = _signed_in(world["lead"])
    page = client.get(reverse("triage:lead_workspace")).content.decode()
    links = _links(page)
    team_link = next(q for q in links if q.startswith(f"team={world['team'].pk}"))

    team_list = client.get(reverse("oversight:claims") + "?" + team_link).content.decode()
    overdue_list = client.get(reverse("oversight:claims") + "?overdue=decide").content.decode()

    assert all(c.reference in team_list for c in waiting)
    assert late.reference not in team_list
    assert late.reference in overdue_list


def test_the_workspace_shows_who_is_on_leave_and_who_is_over_capacity(world):
    for _ in range(3):
        world["claim"](status=ClaimStatus.UNDER_REVIEW, assigned_adjuster=world["busy"])

    page = _page(world)

    people_on_leave = re.search(r"People on leave</dt><dd>(.*?)</dd>", page).group(1)
    assert people_on_leave == "Ben Okoro"
    assert "Over capacity" in page


def test_nobody_on_leave_says_so(world):
    AdjusterProfile.objects.filter(user=world["away"]).update(on_leave=False)

    assert re.search(r"People on leave</dt><dd>Nobody</dd>", _page(world))


def test_the_adjuster_picker_shows_names_not_email_addresses(world):
    claim = world["claim"](status=ClaimStatus.NEEDS_TRIAGE)

    page = (
        _signed_in(world["lead"]).get(reverse("triage:claim_assign", args=[claim.pk])).content
    ).decode()

    options = re.findall(r"<option value=\"\d+\">([^<]+)</option>", page)
    assert {"Asha Patel", "Ben Okoro"} <= set(options)
    assert "asha@insurer.example" not in page
    assert "ben@insurer.example" not in page


def test_another_insurers_claims_are_not_counted(world):
    other = CoverageFactory()
    ClaimFactory(status=ClaimStatus.NEEDS_TRIAGE, insurer=other.insurer, provider=other.provider)
    world["claim"](status=ClaimStatus.NEEDS_TRIAGE)

    assert _links(_page(world))["status=needs_triage"] == "1 claim"
