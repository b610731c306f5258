"""The insurer's claims list and its export, from outside: filters, search, sorts, keyset pages,
the insurer's walls, forged filter values, the audit log and what the CSV leaves out."""

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from intake.models import ClaimStatus, ClaimStatusChange, Priority
from oversight import lists
from portal.models import AuditAction, AuditEvent
from tests.date_input_posts import date_parts
from tests.factories import (
    AdjusterFactory,
    AdvocateFactory,
    ClaimFactory,
    CoverageFactory,
    ProviderFactory,
    TriageLeadFactory,
    UserFactory,
    authority_for,
)
from tests.portal.test_selectors import _signed_in
from triage.models import Team

pytestmark = pytest.mark.django_db

DESCRIPTION = "The surgeon left a swab inside the abdomen."
INJURIES = "Sepsis and a second operation."
TODAY = timezone.localdate()
LONG_AGO = TODAY - datetime.timedelta(days=100)


class World:
    """One insurer: two providers it covers, two teams, two adjusters (one per team), a lead."""

    def __init__(self, name: str):
        coverage = CoverageFactory(insurer__name=name)
        self.insurer = coverage.insurer
        self.provider = coverage.provider
        self.other_provider = ProviderFactory()
        CoverageFactory(insurer=self.insurer, provider=self.other_provider)
        self.team = Team.objects.create(insurer=self.insurer, name=f"{name} General")
        self.second_team = Team.objects.create(insurer=self.insurer, name=f"{name} Maternity")
        self.adjuster = AdjusterFactory(insurer=self.insurer, full_name=f"{name} Adjuster")
        self.colleague = AdjusterFactory(insurer=self.insurer, full_name=f"{name} Colleague")
        self.team.members.add(self.adjuster)
        self.second_team.members.add(self.colleague)
        self.lead = TriageLeadFactory(insurer=self.insurer)

    def claim(self, **fields):
        defaults = {
            "status": ClaimStatus.UNDER_REVIEW,
            "insurer": self.insurer,
            "team": self.team,
            "assigned_adjuster": self.adjuster,
            "provider": self.provider,
            "harm_category": "surgical",
            "severity": "moderate",
            "description": DESCRIPTION,
            "injuries": INJURIES,
            "submitted_at": timezone.now(),
            "acknowledge_by": TODAY + datetime.timedelta(days=5),
            "decide_by": TODAY + datetime.timedelta(days=60),
        }
        return ClaimFactory(**{**defaults, **fields})


@pytest.fixture
def ours():
    return World("Northshire")


@pytest.fixture
def theirs():
    return World("Castle")


def _list(client, **params):
    response = client.get(reverse("oversight:claims"), params)
    assert response.status_code == 200, response.status_code
    return response


def _references(response) -> list[str]:
    """The references of the rows shown, in order."""
    return re.findall(r'<th scope="row">(?:<a [^>]*>)?([^<]+)', response.content.decode())


def _export(client, **params) -> list[dict]:
    response = client.get(reverse("oversight:claims_export"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body))), body


# --- Who sees what ------------------------------------------------------------------------------


def test_a_lead_lists_every_claim_of_their_insurer_and_none_of_another(ours, theirs):
    mine = [ours.claim(), ours.claim(team=ours.second_team, assigned_adjuster=None)]
    other = theirs.claim()
    ClaimFactory(status=ClaimStatus.DRAFT, insurer=ours.insurer)  # a draft is nobody's yet

    shown = _references(_list(_signed_in(ours.lead)))

    assert sorted(shown) == sorted(c.reference for c in mine)
    assert other.reference not in shown


def test_an_adjuster_lists_only_their_teams_claims(ours, theirs):
    own = ours.claim()
    teammate = ours.claim(assigned_adjuster=None)
    other_team = ours.claim(team=ours.second_team, assigned_adjuster=ours.colleague)
    theirs.claim(team=theirs.team)

    response = _list(_signed_in(ours.adjuster))

    assert sorted(_references(response)) == sorted([own.reference, teammate.reference])
    page = response.content.decode()
    # They may open their own claim, not a teammate's they are not assigned.
    assert reverse("triage:claim_work", args=[own.pk]) in page
    assert reverse("triage:claim_work", args=[teammate.pk]) not in page
    assert other_team.reference not in page
    # The adjuster picker names the people of their teams only, by name.
    assert ours.colleague.get_full_name() not in page
    assert ours.adjuster.email not in page


@pytest.mark.parametrize("role", ["patient", "advocate"])
def test_patients_and_advocates_are_refused_the_list_and_the_export(ours, role):
    claim = ours.claim()
    user = claim.claimant if role == "patient" else authority_for(claim)
    client = _signed_in(user)

    for name in ("oversight:claims", "oversight:claims_export"):
        assert client.get(reverse(name)).status_code == 403
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=user).count() == 2


def test_every_claim_shown_leaves_one_view_row(ours):
    claims = [ours.claim() for _ in range(3)]

    _list(_signed_in(ours.lead))

    viewed = AuditEvent.objects.filter(
        action=AuditAction.VIEW, actor=ours.lead, detail__page="oversight claims"
    )
    assert sorted(viewed.values_list("object_id", flat=True)) == sorted(str(c.pk) for c in claims)


# --- Filters and search -------------------------------------------------------------------------


def _decided(claim, when: datetime.datetime, to_status=ClaimStatus.DENIED):
    ClaimStatusChange.objects.create(
        claim=claim, from_status=ClaimStatus.UNDER_REVIEW, to_status=to_status, occurred_at=when
    )
    claim.status = to_status
    claim.save(update_fields=["status"])
    return claim


def _filter_cases(world: World):
    """(GET parameters, the claims they must show, claims they must not)."""
    w = world
    now = timezone.now()
    base = w.claim()
    settled = w.claim(status=ClaimStatus.SETTLED)
    triage = w.claim(status=ClaimStatus.NEEDS_TRIAGE, team=None, assigned_adjuster=None)
    colleague = w.claim(team=w.second_team, assigned_adjuster=w.colleague)
    urgent = w.claim(priority=Priority.URGENT)
    late_ack = w.claim(status=ClaimStatus.ASSIGNED, acknowledge_by=LONG_AGO)
    late_decision = w.claim(decide_by=LONG_AGO)
    maternity = w.claim(harm_category="maternity", severity="severe")
    elsewhere = w.claim(provider=w.other_provider)
    old = w.claim(submitted_at=now - datetime.timedelta(days=400))
    decided_long_ago = _decided(w.claim(), now - datetime.timedelta(days=200))
    decided_lately = _decided(w.claim(), now - datetime.timedelta(days=2), ClaimStatus.SETTLED)
    named = w.claim()
    named.claimant.full_name = "Grace Okafor"
    named.claimant.save(update_fields=["full_name"])

    def day(days: int) -> datetime.date:
        return TODAY - datetime.timedelta(days=days)

    return [
        ({"status": "needs_triage"}, [triage], [base, settled]),
        ({"status": "open"}, [base, settled, urgent], [triage, decided_long_ago]),
        ({"adjuster": w.colleague.pk}, [colleague], [base]),
        ({"team": w.second_team.pk}, [colleague], [base, triage]),
        ({"priority": Priority.URGENT}, [urgent], [base]),
        ({"overdue": "acknowledge"}, [late_ack], [late_decision, base]),
        ({"overdue": "decide"}, [late_decision], [late_ack, base]),
        ({"overdue": "any"}, [late_ack, late_decision], [base]),
        ({"harm_category": "maternity"}, [maternity], [base]),
        ({"severity": "severe"}, [maternity], [base]),
        ({"provider": w.other_provider.pk}, [elsewhere], [base]),
        ({"received_to": day(days=300).isoformat()}, [old], [base]),
        ({"received_from": day(days=1).isoformat()}, [base], [old]),
        # The page's own form sends the three boxes of the date input.
        (date_parts("received_from", day(days=1)), [base], [old]),
        ({"decided_from": day(days=10).isoformat()}, [decided_lately], [decided_long_ago, base]),
        (
            {"decided_from": day(days=250).isoformat(), "decided_to": day(days=100).isoformat()},
            [decided_long_ago],
            [decided_lately],
        ),
        ({"q": "okafor"}, [named], [base]),
        ({"q": named.reference.lower()}, [named], [base]),
    ]


def test_each_filter_and_the_search_show_what_they_name_and_nothing_else(ours):
    client = _signed_in(ours.lead)
    for params, shown, hidden in _filter_cases(ours):
        references = _references(_list(client, **params))
        for claim in shown:
            assert claim.reference in references, (params, claim.status)
        for claim in hidden:
            assert claim.reference not in references, (params, claim.status)


def test_the_decided_column_shows_the_date_of_the_decision(ours):
    when = datetime.datetime(2026, 2, 3, 10, 0, tzinfo=datetime.UTC)
    claim = _decided(ours.claim(), when)

    page = _list(_signed_in(ours.lead), q=claim.reference).content.decode()

    assert "3 Feb 2026" in page


def test_a_wrong_date_is_explained_and_the_range_checked(ours):
    ours.claim()
    client = _signed_in(ours.lead)

    wrong = _list(client, received_from="31/02/2026").content.decode()
    backwards = _list(client, received_from="2026-03-01", received_to="2026-02-01")

    assert "Received from must be a real date." in wrong
    assert "The last date received must be on or after the first." in backwards.content.decode()
    assert _references(backwards) == []


@pytest.mark.parametrize("name", ["team", "adjuster", "provider"])
def test_a_filter_naming_another_insurers_object_is_404_and_audited(ours, theirs, name):
    theirs.claim()
    forged = {
        "team": theirs.team.pk,
        "adjuster": theirs.adjuster.pk,
        "provider": theirs.provider.pk,
    }[name]
    client = _signed_in(ours.lead)

    for url in ("oversight:claims", "oversight:claims_export"):
        assert client.get(reverse(url), {name: forged}).status_code == 404

    refused = AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=ours.lead)
    assert refused.count() == 2
    assert set(refused.values_list("object_id", flat=True)) == {str(forged)}


def test_an_adjuster_naming_a_team_of_their_insurer_they_are_not_in_gets_404(ours):
    ours.claim(team=ours.second_team, assigned_adjuster=ours.colleague)
    client = _signed_in(ours.adjuster)

    assert client.get(reverse("oversight:claims"), {"team": ours.second_team.pk}).status_code == 404
    assert client.get(reverse("oversight:claims"), {"team": ours.team.pk}).status_code == 200


# --- Sorting and keyset pages -------------------------------------------------------------------


def test_each_column_sorts_both_ways(ours):
    now = timezone.now()
    a = ours.claim(
        reference="CLM-A",
        submitted_at=now - datetime.timedelta(days=3),
        status=ClaimStatus.ASSIGNED,
        priority=Priority.LOW,
        acknowledge_by=TODAY,
        decide_by=TODAY + datetime.timedelta(days=30),
        assigned_adjuster=ours.adjuster,
    )
    b = ours.claim(
        reference="CLM-B",
        submitted_at=now - datetime.timedelta(days=2),
        status=ClaimStatus.UNDER_REVIEW,
        priority=Priority.URGENT,
        acknowledge_by=TODAY + datetime.timedelta(days=2),
        decide_by=TODAY + datetime.timedelta(days=10),
        assigned_adjuster=ours.colleague,
    )
    c = ours.claim(
        reference="CLM-C",
        submitted_at=now - datetime.timedelta(days=1),
        status=ClaimStatus.NEEDS_TRIAGE,
        priority=Priority.NORMAL,
        acknowledge_by=None,
        decide_by=None,
        assigned_adjuster=None,
    )
    # Ascending; a missing date sorts last, nobody assigned first.
    expected = {
        "reference": [a, b, c],
        "received": [a, b, c],
        "status": [a, c, b],
        "priority": [a, c, b],
        "acknowledge_by": [a, b, c],
        "decide_by": [b, a, c],
        "adjuster": [c, a, b],  # "Northshire Adjuster" before "Northshire Colleague"
    }
    client = _signed_in(ours.lead)
    for sort, claims in expected.items():
        references = [claim.reference for claim in claims]
        assert _references(_list(client, sort=sort, dir="asc")) == references, sort
        assert _references(_list(client, sort=sort, dir="desc")) == references[::-1], sort


def _follow(client, response, rel: str):
    page = response.content.decode()
    links = {
        label: href.replace("&amp;", "&")
        for href, label in re.findall(r'<a href="(\?[^"]*)"[^>]*>([^<]+) page</a>', page)
    }
    return client.get(reverse("oversight:claims") + links[rel])


def test_keyset_pages_forwards_back_and_last_with_their_positions(ours):
    now = timezone.now()
    claims = [
        ours.claim(reference=f"CLM-{n:04d}", submitted_at=now - datetime.timedelta(minutes=n))
        for n in range(120)
    ]
    # Equal sort keys too: the id breaks the tie, so no claim is shown twice or lost.
    same_time = now - datetime.timedelta(days=30)
    claims += [ours.claim(reference=f"CLM-T{n}", submitted_at=same_time) for n in range(8)]
    newest_first = [c.reference for c in claims[:120]]
    client = _signed_in(ours.lead)

    first = _list(client, priority=Priority.NORMAL)
    second = _follow(client, first, "Next")
    third = _follow(client, second, "Next")
    back = _follow(client, third, "Previous")
    last = _follow(client, first, "Last")

    assert _references(first) == newest_first[:50]
    assert "Claims 1 to 50 of 128" in first.content.decode()
    assert _references(second) == newest_first[50:100]
    assert "Claims 51 to 100 of 128" in second.content.decode()
    assert _references(third)[:20] == newest_first[100:]
    assert sorted(_references(third)[20:]) == sorted(f"CLM-T{n}" for n in range(8))
    assert "Claims 101 to 128 of 128" in third.content.decode()
    assert "Next page" not in third.content.decode()
    assert _references(back) == _references(second)
    assert "Claims 51 to 100 of 128" in back.content.decode()
    assert _references(last)[-28:] == _references(third)
    assert "Claims 79 to 128 of 128" in last.content.decode()
    # The filter stays in every link.
    assert all(f"priority={Priority.NORMAL}" in r.request["QUERY_STRING"] for r in (second, last))


def test_back_from_the_second_page_is_the_whole_first_page(ours):
    for _ in range(60):
        ours.claim()
    client = _signed_in(ours.lead)
    first = _list(client)

    back = _follow(client, _follow(client, first, "Next"), "Previous")

    assert _references(back) == _references(first)
    assert "Claims 1 to 50 of 60" in back.content.decode()


def test_the_last_page_costs_the_same_queries_as_the_first(ours):
    for _ in range(120):
        ours.claim()
    client = _signed_in(ours.lead)
    _list(client)  # warms the session

    with CaptureQueriesContext(connection) as first:
        _list(client)
    first_count = len(first)
    with CaptureQueriesContext(connection) as last:
        _list(client, page="last")

    assert first_count == len(last)
    assert not any(" OFFSET " in q["sql"] for q in last)


# --- The export ---------------------------------------------------------------------------------


def test_the_export_has_every_page_of_the_filtered_list_and_no_health_text(
    ours, theirs, monkeypatch
):
    monkeypatch.setattr(lists, "EXPORT_BATCH", 7)  # several keyset batches from a few claims
    mine = [ours.claim() for _ in range(16)]
    ours.claim(priority=Priority.LOW)
    other = theirs.claim(priority=Priority.URGENT)
    for claim in mine:
        claim.claimant.full_name = "Grace Okafor"
        claim.claimant.save(update_fields=["full_name"])

    rows, body = _export(_signed_in(ours.lead), priority=Priority.NORMAL)

    assert sorted(row["Reference"] for row in rows) == sorted(c.reference for c in mine)
    assert other.reference not in body
    for secret in (DESCRIPTION, INJURIES, "Grace Okafor", mine[0].claimant.email, "swab"):
        assert secret not in body
    assert rows[0]["Team"] == ours.team.name
    assert rows[0]["Adjuster"] == ours.adjuster.get_full_name()
    assert rows[0]["Kind of harm"] == "Surgery"


def test_the_export_is_audited_with_its_filters_count_and_claims(ours):
    claims = [ours.claim(harm_category="medication") for _ in range(3)]
    ours.claim()

    _export(_signed_in(ours.lead), harm_category="medication", q="test-")

    export = AuditEvent.objects.get(object_type="oversight.claims_export", actor=ours.lead)
    assert export.action == AuditAction.VIEW
    assert export.detail["count"] == 3
    assert export.detail["filters"] == {"harm_category": "medication", "search": "yes"}
    viewed = AuditEvent.objects.filter(detail__page="oversight export", actor=ours.lead)
    assert sorted(viewed.values_list("object_id", flat=True)) == sorted(str(c.pk) for c in claims)


def test_the_export_defuses_cells_a_spreadsheet_would_run(ours):
    ours.team.name = '=HYPERLINK("http://evil.example")'
    ours.team.save()
    ours.claim()

    rows, _body = _export(_signed_in(ours.lead))

    assert rows[0]["Team"] == '\'=HYPERLINK("http://evil.example")'


def test_an_export_with_a_wrong_filter_goes_back_to_the_list_that_explains_it(ours):
    client = _signed_in(ours.lead)

    response = client.get(reverse("oversight:claims_export"), {"decided_to": "soon"})

    assert response.status_code == 302
    assert "Decided up to must be a real date." in client.get(response.url).content.decode()


def test_people_of_another_insurer_cannot_export_our_claims(ours, theirs):
    claim = ours.claim()

    _rows, body = _export(_signed_in(theirs.lead))

    assert claim.reference not in body


def test_an_adjuster_of_no_team_lists_nothing(ours):
    ours.claim()
    loner = AdjusterFactory(insurer=ours.insurer)

    assert _references(_list(_signed_in(loner))) == []


def test_a_patient_with_no_role_in_staff_gets_no_rows_even_by_url(ours):
    # Sanity of the scope itself, outside the view.
    assert not lists.claims_listable_by(UserFactory()).exists()
    assert not lists.claims_listable_by(AdvocateFactory()).exists()
