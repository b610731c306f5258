"""The oversight dashboard: figures against a hand-counted book, the charts and their tables, the
audit row, and who may open it."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from intake.models import ClaimStatus, ClaimStatusChange
from oversight.charts import chart_svg
from oversight.dashboard import Period, Scope, dashboard_figures
from portal.models import AuditAction, AuditEvent
from resolution.models import Payment, Reserve
from tests.factories import (
    AdjusterFactory,
    AdministratorFactory,
    AdvocateFactory,
    ClaimFactory,
    CoverageFactory,
    TriageLeadFactory,
    UserFactory,
)
from tests.portal.test_selectors import _signed_in
from tests.resolution.factories_payments import OfferFactory, SettlementFactory
from triage.models import AdjusterProfile, Team

pytestmark = pytest.mark.django_db
S = ClaimStatus
TODAY = timezone.localdate()


def _day(days_ago: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days_ago)


def _at(days_ago: int) -> datetime.datetime:
    """Noon, `days_ago` days ago, in the portal's time zone."""
    return timezone.make_aware(datetime.datetime.combine(_day(days_ago), datetime.time(12)))


class Book:
    """An insurer's hand-counted book (see each figure's test for the counts), and another
    insurer's claims that must never count."""

    def __init__(self):
        coverage = CoverageFactory()
        self.insurer, self.provider = coverage.insurer, coverage.provider
        self.lead = TriageLeadFactory(insurer=self.insurer)
        self.team = Team.objects.create(insurer=self.insurer, name="General")
        self.team2 = Team.objects.create(insurer=self.insurer, name="Serious harm")
        self.asha = AdjusterFactory(insurer=self.insurer, full_name="Asha Patel")
        self.ben = AdjusterFactory(insurer=self.insurer, full_name="Ben Okoro")
        AdjusterProfile.objects.create(user=self.asha, capacity=10)
        AdjusterProfile.objects.create(user=self.ben, capacity=2)
        self.team.members.add(self.asha)
        self.team2.members.add(self.ben)
        c = self.claim
        # Acknowledgement: A on time, B late, C late (still owed), D not yet due, E on time
        # (on the day itself). Decision: A on time, E late (still owed), B C D not yet due.
        self.a = c(S.OFFER_MADE, 20, self.asha, ack_by=10, decide_by=2)
        self._moved(self.a, S.ASSIGNED, S.UNDER_REVIEW, 12)
        self._moved(self.a, S.UNDER_REVIEW, S.OFFER_MADE, 3)
        self.b = c(S.UNDER_REVIEW, 20, self.asha, ack_by=10, decide_by=-30)
        self._moved(self.b, S.ASSIGNED, S.UNDER_REVIEW, 8)
        self.c = c(S.ASSIGNED, 20, self.ben, ack_by=1, decide_by=-20, team=self.team2)
        self.d = c(S.ASSIGNED, 20, self.ben, ack_by=-3, decide_by=-20, team=self.team2)
        self.e = c(S.UNDER_REVIEW, 20, self.asha, ack_by=5, decide_by=1)
        self._moved(self.e, S.ASSIGNED, S.UNDER_REVIEW, 5)
        # Age bands and the funnel.
        self.f = c(S.SUBMITTED, 30)
        self.g = c(S.UNDER_REVIEW, 31, self.ben)
        self.h = c(S.INFORMATION_REQUESTED, 400)
        self.old = c(S.UNDER_REVIEW, 200)
        self.i = c(S.CLOSED, 10, self.ben)
        self.j = c(S.SETTLED, 60)
        # Offers, a settlement 46 days after sending, a payment, reserves.
        OfferFactory(claim=self.a, round=1, state="open", made_at=_at(3), made_by=self.asha)
        offer = OfferFactory(claim=self.j, round=1, made_at=_at(15), made_by=self.asha)
        settlement = SettlementFactory(offer=offer, agreed_at=_at(14), amount=Decimal("8000"))
        Payment.objects.create(
            settlement=settlement,
            amount=Decimal("500.00"),
            paid_on=_day(7),
            method="bank_transfer",
            finance_reference="F1",
            recorded_by=self.asha,
        )
        for claim, amount, ago in ((self.a, "1000", 5), (self.a, "1500", 2), (self.i, "999", 1)):
            Reserve.objects.create(
                claim=claim, amount=Decimal(amount), reason="x", set_by=self.asha, set_at=_at(ago)
            )
        # Another insurer's: late, open, with an offer; never in our figures.
        theirs = CoverageFactory()
        self.their_lead = TriageLeadFactory(insurer=theirs.insurer)
        stranger = AdjusterFactory(insurer=theirs.insurer, full_name="Carla Stranger")
        AdjusterProfile.objects.create(user=stranger, capacity=1)
        for _ in range(3):
            other = ClaimFactory(
                status=S.ASSIGNED,
                insurer=theirs.insurer,
                provider=theirs.provider,
                assigned_adjuster=stranger,
                submitted_at=_at(20),
                acknowledge_by=_day(1),
                decide_by=_day(2),
            )
            OfferFactory(claim=other, round=1, made_at=_at(3), made_by=stranger)

    def claim(self, status, sent_ago, adjuster=None, *, ack_by=None, decide_by=None, team=None):
        return ClaimFactory(
            status=status,
            insurer=self.insurer,
            provider=self.provider,
            team=team or (self.team if adjuster else None),
            assigned_adjuster=adjuster,
            submitted_at=_at(sent_ago),
            acknowledge_by=None if ack_by is None else _day(ack_by),
            decide_by=None if decide_by is None else _day(decide_by),
        )

    def _moved(self, claim, from_status, to_status, days_ago):
        ClaimStatusChange.objects.create(
            claim=claim, from_status=from_status, to_status=to_status, occurred_at=_at(days_ago)
        )

    def scope(self, **changes) -> Scope:
        return Scope(self.insurer, Period.default(TODAY), TODAY, **changes)


@pytest.fixture
def book():
    return Book()


def _figures(scope) -> dict:
    return {figure.key: figure for figure in dashboard_figures(scope=scope)}


def test_on_time_rates_count_acknowledgements_and_decisions_by_their_due_dates(book):
    figure = _figures(book.scope())["on_time"]

    assert figure.value("On time", "Acknowledgement") == 2
    assert figure.value("Late", "Acknowledgement") == 2
    assert figure.value("Not yet due", "Acknowledgement") == 1
    assert figure.value("On time", "Decision") == 1
    assert figure.value("Late", "Decision") == 1
    assert figure.value("Not yet due", "Decision") == 3
    assert figure.extra["On-time rate"] == ["50%", "50%"]


def test_funnel_counts_the_periods_claims_by_status(book):
    figure = _figures(book.scope())["by_status"]

    counted = {label: figure.value("Claims", label) for label in figure.labels}
    assert {label: n for label, n in counted.items() if n} == {
        "Submitted": 1,
        "Assigned": 2,
        "Under review": 3,
        "Offer made": 1,
        "Settled": 1,
        "Closed": 1,
    }
    assert figure.labels[0] == "Submitted" and figure.labels[-1] == "Withdrawn"


def test_open_claims_fall_into_age_bands_by_days_since_sending(book):
    figure = _figures(book.scope())["age"]

    assert figure.series[0].values == [6, 2, 0, 1, 1]


def test_claims_received_per_week_count_the_week_each_came_in(book):
    figure = _figures(book.scope())["received"]
    period = Period.default(TODAY)
    expected = dict.fromkeys(period.weeks(), 0)
    for days_ago in (20, 20, 20, 20, 20, 30, 31, 10, 60):
        day = _day(days_ago)
        expected[day - datetime.timedelta(days=day.weekday())] += 1

    assert figure.series[0].values == list(expected.values())
    assert sum(figure.series[0].values) == 9


def test_workload_offers_settlement_and_money_are_the_insurers_own(book):
    figures = _figures(book.scope())

    workload = figures["workload"]
    assert workload.labels == ["Asha Patel", "Ben Okoro"]
    assert workload.series[0].values == [3, 3]  # B C D G open for Ben; I is closed
    assert workload.series[1].values == [10, 2]
    assert "1 over capacity" in workload.summary
    offers = figures["offers"]
    assert sum(offers.series[0].values) == 2 and sum(offers.series[1].values) == 1
    assert figures["settle"].series[0].values == [1, 0, 0, 0]
    assert "on average 46 days" in figures["settle"].summary
    assert figures["money"].series[0].values == [1500.0, 500.0]


def test_a_team_narrows_the_figures_to_its_claims_and_members(book):
    figures = _figures(book.scope(team=book.team2))

    assert figures["workload"].labels == ["Ben Okoro"]
    status = figures["by_status"]
    assert status.value("Claims", "Assigned") == 2
    assert sum(status.series[0].values) == 2


def test_the_figures_cost_the_same_queries_however_many_claims(book):
    with CaptureQueriesContext(connection) as few:
        dashboard_figures(scope=book.scope())
    for _ in range(20):
        book.claim(S.UNDER_REVIEW, 5, book.asha, ack_by=1, decide_by=-9)

    with CaptureQueriesContext(connection) as many:
        dashboard_figures(scope=book.scope())

    assert len(few) == len(many)


# --- The page -----------------------------------------------------------------------------------


def test_the_lead_sees_every_chart_with_its_table_and_one_audit_row(book):
    response = _signed_in(book.lead).get(reverse("oversight:dashboard"))

    assert response.status_code == 200
    page = response.content.decode()
    for key in ("on_time", "workload", "by_status", "age", "received", "offers", "settle", "money"):
        assert f'id="{key}-table"' in page
        assert f'aria-describedby="{key}-table-caption"' in page
        assert reverse("oversight:dashboard_chart", args=[key]) in page
    assert "Asha Patel" in page and "Carla Stranger" not in page
    # The charts need no script (the only one is the forms' enhancement, after the content).
    assert "<script" not in page.split("<main", 1)[1].split("</main>", 1)[0]
    views = AuditEvent.objects.filter(
        action=AuditAction.VIEW, actor=book.lead, detail__page="dashboard"
    )
    assert [(v.object_type, v.object_id, v.detail["page"]) for v in views] == [
        ("portal.insurer", str(book.insurer.pk), "dashboard")
    ]


def test_each_chart_is_an_svg_with_a_title_and_description_and_no_script(book):
    client = _signed_in(book.lead)
    for key in ("on_time", "workload", "by_status", "age", "received", "offers", "settle", "money"):
        response = client.get(reverse("oversight:dashboard_chart", args=[key]))

        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        assert response["Content-Security-Policy"].startswith("default-src 'none'")
        svg = response.content.decode()
        assert re.search(r'<title id="[a-z_]+-chart-title">', svg)
        assert re.search(r'<desc id="[a-z_]+-chart-desc">[^<]+</desc>', svg)
        assert 'role="img"' in svg
        assert "<script" not in svg
        assert "googleapis" not in svg


def test_the_chart_of_an_empty_book_still_draws():
    coverage = CoverageFactory()
    scope = Scope(coverage.insurer, Period.default(TODAY), TODAY)
    for figure in dashboard_figures(scope=scope):
        assert chart_svg(figure).startswith(b"<?xml")


def test_a_period_and_team_are_chosen_in_the_url_and_bad_ones_say_what_to_fix(book):
    client = _signed_in(book.lead)
    url = reverse("oversight:dashboard")

    chosen = client.get(url, {"from": _day(25).isoformat(), "to": _day(15).isoformat()})
    assert chosen.status_code == 200
    received = {f.key: f for f in chosen.context["figures"]}["received"]
    assert sum(received.series[0].values) == 5  # A to E, sent 20 days ago

    wrong = client.get(url, {"from": _day(1).isoformat(), "to": _day(5).isoformat()})
    assert "The last day must be on or after the first day." in wrong.content.decode()
    forged = client.get(url, {"team": "999999"})
    assert "Choose a team from the list." in forged.content.decode()
    garbled = client.get(url, {"from": "yesterday"})
    assert "The first day must be a real date." in garbled.content.decode()


def test_a_lead_cannot_ask_for_another_insurer(book):
    response = _signed_in(book.lead).get(
        reverse("oversight:dashboard"), {"insurer": str(book.their_lead.insurer_id)}
    )

    assert response.context["scope"].insurer == book.insurer
    assert "Carla Stranger" not in response.content.decode()


def test_an_administrator_chooses_the_insurer(book):
    admin = AdministratorFactory()
    client = _signed_in(admin)

    theirs = client.get(
        reverse("oversight:dashboard"), {"insurer": str(book.their_lead.insurer_id)}
    )
    assert theirs.status_code == 200
    assert "Carla Stranger" in theirs.content.decode()
    forged = client.get(reverse("oversight:dashboard"), {"insurer": "not-an-id"})
    assert "Choose an insurer from the list." in forged.content.decode()


@pytest.mark.parametrize(
    "make_user",
    [UserFactory, AdvocateFactory, lambda: AdjusterFactory(), None],
    ids=["patient", "advocate", "adjuster", "anonymous"],
)
def test_patients_advocates_and_adjusters_are_refused(book, make_user, client):
    if make_user is not None:
        client = _signed_in(make_user())
    for url in (
        reverse("oversight:dashboard"),
        reverse("oversight:dashboard_chart", args=["age"]),
    ):
        response = client.get(url)
        assert response.status_code == (302 if make_user is None else 403)
    if make_user is not None:
        assert AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED).exists()
