"""The insurer's claims list against the number of claims: a triage lead's list with 1,000 claims
and with 100,000, its first page and its last (keyset pages: the last must cost what the first
does), each with its total count.

Runs inside a configured Django (PostgreSQL, migrated); both books are made first, then the four
pages are timed in interleaved rounds, so drift in the machine's speed tilts neither side.
"""

import datetime
import itertools
import statistics
import time

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.triage import PAGE_SETTINGS, _check, _row, _signed_in_with_second_factor
from intake.models import Claim, ClaimStatus, Priority
from portal.models import Coverage, Insurer, Provider, Role, User
from triage.models import AdjusterProfile, Team

ROUNDS = 15
ADJUSTERS = 10
_unique = itertools.count(1)
_STATUSES = (
    ClaimStatus.UNDER_REVIEW,
    ClaimStatus.ASSIGNED,
    ClaimStatus.SETTLED,
    ClaimStatus.DENIED,
)


def _book(total: int) -> User:
    """An insurer with a team of adjusters and `total` claims received over the past years;
    returns its triage lead."""
    n = next(_unique)
    insurer = Insurer.objects.create(name=f"List bench insurer {n}")
    provider = Provider.objects.create(name=f"List bench provider {n}", region="North West")
    Coverage.objects.create(provider=provider, insurer=insurer, starts_on="2000-01-01")
    team = Team.objects.create(insurer=insurer, name="Bench team")
    adjusters = User.objects.bulk_create(
        User(
            email=f"list{n}-{i}@example.org",
            full_name=f"Adjuster {i}",
            role=Role.ADJUSTER,
            insurer=insurer,
        )
        for i in range(ADJUSTERS)
    )
    AdjusterProfile.objects.bulk_create(AdjusterProfile(user=u, capacity=50) for u in adjusters)
    team.members.add(*adjusters)
    lead = User.objects.create(
        email=f"list-lead-{n}@example.org", full_name="Lead", role=Role.TRIAGE_LEAD, insurer=insurer
    )
    patient = User.objects.create(email=f"list-patient-{n}@example.org")
    now = timezone.now()
    Claim.objects.bulk_create(
        (
            Claim(
                claimant=patient,
                status=_STATUSES[i % len(_STATUSES)],
                reference=f"LIST-{n}-{i:07d}",
                provider=provider,
                insurer=insurer,
                team=team,
                assigned_adjuster=adjusters[i % ADJUSTERS],
                priority=Priority.values[i % len(Priority.values)],
                incident_date="2025-01-01",
                knowledge_date="2025-02-01",
                harm_category="surgical",
                severity="moderate",
                submitted_at=now - datetime.timedelta(minutes=7 * i),
                acknowledge_by=timezone.localdate() + datetime.timedelta(days=i % 30),
                decide_by=timezone.localdate() + datetime.timedelta(days=i % 90),
            )
            for i in range(total)
        ),
        batch_size=5_000,
    )
    return lead


@override_settings(**PAGE_SETTINGS)
def _pages(leads: dict[str, User]) -> dict[tuple[str, str], tuple[int, float]]:
    """(queries, median seconds) of each book's first and last page."""
    url = reverse("oversight:claims")
    params = {"first": {}, "last": {"page": "last"}}
    clients = {size: _signed_in_with_second_factor(lead) for size, lead in leads.items()}
    queries = {}
    for (size, client), (which, query) in itertools.product(clients.items(), params.items()):
        response = client.get(url, query)  # and warms caches
        _check(response.status_code == 200, f"{size} {which} page did not render")
        _check(response.content.count(b'<th scope="row">') == 50, f"{size} {which}: not 50 rows")
        with CaptureQueriesContext(connection) as captured:
            client.get(url, query)
        queries[size, which] = len(captured)
        _check(not any(" OFFSET " in q["sql"] for q in captured), "a page used OFFSET")
    timings = {key: [] for key in queries}
    for _ in range(ROUNDS):
        for size, which in queries:
            started = time.perf_counter()
            clients[size].get(url, params[which])
            timings[size, which].append(time.perf_counter() - started)
    return {key: (queries[key], statistics.median(timings[key])) for key in queries}


def measure() -> list[dict]:
    leads = {"1k": _book(1_000), "100k": _book(100_000)}
    with connection.cursor() as cursor:
        # Fresh statistics and visibility map, as a live database has: the total is counted from
        # the index alone.
        cursor.execute("VACUUM ANALYZE intake_claim")
    pages = _pages(leads)
    small_q, large_q = pages["1k", "first"][0], pages["100k", "first"][0]
    last_small_q, last_large_q = pages["1k", "last"][0], pages["100k", "last"][0]
    same = small_q == large_q == last_small_q == last_large_q
    first_ratio = pages["100k", "first"][1] / pages["1k", "first"][1]
    last_ratio = pages["100k", "last"][1] / pages["1k", "last"][1]
    return [
        _row("team_list_queries_1k", small_q, "queries", f"= {large_q}", same),
        _row("team_list_queries_100k", large_q, "queries", f"= {small_q}", same),
        _row("team_list_last_page_queries_100k", last_large_q, "queries", f"= {small_q}", same),
        _row(
            "team_list_time_ratio_100k_vs_1k",
            round(first_ratio, 2),
            "ratio",
            "<= 1.5",
            first_ratio <= 1.5,
        ),
        _row(
            "team_list_last_page_time_ratio_100k_vs_1k",
            round(last_ratio, 2),
            "ratio",
            "<= 1.5",
            last_ratio <= 1.5,
        ),
    ]
