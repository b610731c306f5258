"""Oversight figures: the dashboard page's queries and time with 1,000 claims and with 100,000,
and the time to make a provider's learning report (PDF) with 100,000 claims in the database.

The insurer's book of the last twelve weeks is the same 1,000 claims in both measurements (with
their acknowledgements, offers, settlements, payments and reserves); the 99,000 more are the
history a real database grows by: claims sent between 90 days and four years ago, closed, half of
them another insurer's, every fifth with its offer, settlement, payment and reserve. The
dashboard reads the period's rows and the open claims through indexes, so the history must cost
it nothing; the learning report reads a year, so some 20,000 of the history count in it.

Runs inside a configured Django (PostgreSQL, migrated, empty apart from what it makes).
"""

import datetime
import itertools
import statistics
import time
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from bench.triage import PAGE_SETTINGS, _check, _row, _signed_in_with_second_factor
from intake.models import Claim, ClaimStatus, ClaimStatusChange
from portal.models import Coverage, Insurer, Provider, Role, User
from resolution.models import Offer, OfferState, Payment, Reserve, Settlement
from triage.models import AdjusterProfile, Team

S = ClaimStatus
BOOK = 1_000
TOTAL = 100_000
SAMPLES = 9
REPORT_SAMPLES = 5
CATEGORIES = ("misdiagnosis", "surgical", "medication", "maternity", "delayed_treatment")
SEVERITIES = ("minor", "moderate", "severe", "death")
#: The period's claims cycle through these statuses.
BOOK_STATUSES = (
    S.SUBMITTED,
    S.ASSIGNED,
    S.UNDER_REVIEW,
    S.UNDER_REVIEW,
    S.INFORMATION_REQUESTED,
    S.OFFER_MADE,
    S.SETTLED,
    S.CLOSED,
    S.DENIED,
    S.WITHDRAWN,
)
_unique = itertools.count(1)


class World:
    def __init__(self):
        self.insurer = Insurer.objects.create(name="Bench oversight insurer")
        self.other = Insurer.objects.create(name="Bench oversight other insurer")
        self.provider = Provider.objects.create(name="Bench oversight provider", region="North")
        for insurer in (self.insurer, self.other):
            Coverage.objects.create(provider=self.provider, insurer=insurer, starts_on="2000-01-01")
        self.team = Team.objects.create(insurer=self.insurer, name="Bench team")
        self.adjusters = User.objects.bulk_create(
            User(
                email=f"oversight-bench-{i}@example.org",
                full_name=f"Adjuster {i}",
                role=Role.ADJUSTER,
                insurer=self.insurer,
            )
            for i in range(20)
        )
        AdjusterProfile.objects.bulk_create(
            AdjusterProfile(user=u, capacity=60) for u in self.adjusters
        )
        self.team.members.add(*self.adjusters)
        self.lead = User.objects.create(
            email="oversight-bench-lead@example.org", role=Role.TRIAGE_LEAD, insurer=self.insurer
        )
        self.patient = User.objects.create(email="oversight-bench-patient@example.org")

    def claims(self, count: int, *, insurer, days_ago, status_for) -> list[Claim]:
        now = timezone.now()
        claims = []
        for n in range(count):
            sent = now - datetime.timedelta(days=days_ago(n), hours=n % 24)
            status = status_for(n)
            claims.append(
                Claim(
                    claimant=self.patient,
                    status=status,
                    reference=f"OVB-{next(_unique):09d}",
                    provider=self.provider,
                    insurer=insurer,
                    team=self.team if insurer == self.insurer else None,
                    assigned_adjuster=(
                        self.adjusters[n % 20]
                        if insurer == self.insurer and status != S.SUBMITTED
                        else None
                    ),
                    incident_date="2020-01-01",
                    knowledge_date="2020-02-01",
                    harm_category=CATEGORIES[n % len(CATEGORIES)],
                    severity=SEVERITIES[n % len(SEVERITIES)],
                    submitted_at=sent,
                    acknowledge_by=(sent + datetime.timedelta(days=10)).date(),
                    decide_by=(sent + datetime.timedelta(days=90)).date(),
                )
            )
        claims = Claim.objects.bulk_create(claims, batch_size=5_000)
        self._history(claims)
        return claims

    def _history(self, claims: list[Claim]) -> None:
        """An acknowledgement for each claim past assigned; an offer, settlement, payment and
        reserve for every fifth."""
        changes, offers = [], []
        for n, claim in enumerate(claims):
            if claim.status not in (S.SUBMITTED, S.ASSIGNED):
                changes.append(
                    ClaimStatusChange(
                        claim=claim,
                        from_status=S.ASSIGNED,
                        to_status=S.UNDER_REVIEW,
                        occurred_at=claim.submitted_at + datetime.timedelta(days=n % 15),
                    )
                )
            if n % 5 == 0:
                offers.append(
                    Offer(
                        claim=claim,
                        round=1,
                        made_by=self.adjusters[0],
                        made_at=claim.submitted_at + datetime.timedelta(days=30),
                        amount=Decimal("12000.00"),
                        respond_by=(claim.submitted_at + datetime.timedelta(days=51)).date(),
                        state=OfferState.ACCEPTED if n % 10 == 0 else OfferState.OPEN,
                    )
                )
        ClaimStatusChange.objects.bulk_create(changes, batch_size=5_000)
        offers = Offer.objects.bulk_create(offers, batch_size=5_000)
        settlements = Settlement.objects.bulk_create(
            (
                Settlement(
                    claim_id=o.claim_id,
                    offer=o,
                    amount=o.amount,
                    agreed_by=self.patient,
                    agreed_at=o.made_at + datetime.timedelta(days=5),
                )
                for o in offers
                if o.state == OfferState.ACCEPTED
            ),
            batch_size=5_000,
        )
        Payment.objects.bulk_create(
            (
                Payment(
                    settlement=s,
                    amount=s.amount,
                    paid_on=(s.agreed_at + datetime.timedelta(days=7)).date(),
                    method="bank_transfer",
                    finance_reference="BENCH",
                    recorded_by=self.adjusters[0],
                )
                for s in settlements
            ),
            batch_size=5_000,
        )
        Reserve.objects.bulk_create(
            (
                Reserve(
                    claim_id=o.claim_id,
                    amount=Decimal("15000.00"),
                    reason="bench",
                    set_by=self.adjusters[0],
                    set_at=o.made_at,
                )
                for o in offers
            ),
            batch_size=5_000,
        )


def _analyze() -> None:
    with connection.cursor() as cursor:
        for table in (
            "intake_claim",
            "intake_claimstatuschange",
            "resolution_offer",
            "resolution_settlement",
            "resolution_payment",
            "resolution_reserve",
        ):
            cursor.execute(f"ANALYZE {table}")  # noqa: S608 - fixed table names


@override_settings(**PAGE_SETTINGS)
def _time_page(client, url: str, *, samples: int) -> tuple[int, float]:
    _check(client.get(url).status_code == 200, f"{url} did not render")  # and warms caches
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    query_count = len(queries)
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
        _check(response.status_code == 200, f"{url} failed")
    return query_count, statistics.median(timings)


def measure() -> list[dict]:
    world = World()
    world.claims(
        BOOK,
        insurer=world.insurer,
        days_ago=lambda n: n % 83,
        status_for=lambda n: BOOK_STATUSES[n % len(BOOK_STATUSES)],
    )
    _analyze()
    client = _signed_in_with_second_factor(world.lead)
    dashboard = reverse("oversight:dashboard")
    queries_1k, seconds_1k = _time_page(client, dashboard, samples=SAMPLES)

    history = TOTAL - BOOK
    for insurer, count in ((world.insurer, history // 2), (world.other, history - history // 2)):
        world.claims(
            count,
            insurer=insurer,
            days_ago=lambda n: 90 + n % 1_370,
            status_for=lambda n: S.CLOSED,
        )
    _check(Claim.objects.count() == TOTAL, "the database does not hold 100,000 claims")
    _analyze()
    queries_100k, seconds_100k = _time_page(client, dashboard, samples=SAMPLES)
    report = f"{reverse('oversight:learning_report')}?provider={world.provider.pk}&format=pdf"
    _report_queries, report_seconds = _time_page(client, report, samples=REPORT_SAMPLES)
    ratio = seconds_100k / seconds_1k
    return [
        _row("dashboard_queries_1k", queries_1k, "queries", "= 100k", queries_1k == queries_100k),
        _row("dashboard_queries_100k", queries_100k, "queries", "= 1k", queries_1k == queries_100k),
        _row("dashboard_time_ratio_100k_vs_1k", round(ratio, 2), "ratio", "<= 2", ratio <= 2),
        _row(
            "learning_report_seconds_100k",
            round(report_seconds, 3),
            "seconds",
            "< 1 (in the request)",
            report_seconds < 1,
        ),
    ]
