"""Triage figures: routing cost against the number of adjusters, routing throughput, and the
adjuster's queue page against the number of claims in the database.

Runs inside a configured Django (PostgreSQL, migrated, empty apart from what it makes); every
figure is a count or a ratio measured in this one run.
"""

import itertools
import statistics
import time
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from intake.models import Claim, ClaimStatus
from portal.models import Coverage, Insurer, Provider, Role, User
from triage.models import AdjusterProfile, RoutingRule, Team
from triage.services import claim_route

RULES_PER_INSURER = 50
#: Claims routed one after another for the throughput figure. Routing one claim costs the same
#: queries whatever came before (routing_queries_per_claim_*), so 1,000 give the rate 10,000 do,
#: in a tenth of the time.
ROUTED_FOR_THROUGHPUT = 1_000
QUEUE_PAGE_SAMPLES = 15
_unique = itertools.count(1)


def _insurer_with_team(adjusters: int, *, capacity: int = 50) -> tuple[Insurer, Provider, Team]:
    """An insurer covering one provider, with 49 rules that never match and a default rule to a
    team of `adjusters` adjusters."""
    n = next(_unique)
    insurer = Insurer.objects.create(name=f"Bench insurer {n}")
    provider = Provider.objects.create(name=f"Bench provider {n}", region="North West")
    Coverage.objects.create(provider=provider, insurer=insurer, starts_on="2000-01-01")
    team = Team.objects.create(insurer=insurer, name="Bench team")
    users = User.objects.bulk_create(
        User(
            email=f"bench{n}-{i}@example.org",
            full_name=f"Adjuster {i}",
            role=Role.ADJUSTER,
            insurer=insurer,
        )
        for i in range(adjusters)
    )
    AdjusterProfile.objects.bulk_create(AdjusterProfile(user=u, capacity=capacity) for u in users)
    team.members.add(*users)
    RoutingRule.objects.bulk_create(
        [
            RoutingRule(
                insurer=insurer,
                position=i,
                name=f"Never {i}",
                severities=["death"],
                min_claimed_amount=Decimal("1000000"),
                team=team,
            )
            for i in range(1, RULES_PER_INSURER)
        ]
        + [RoutingRule(insurer=insurer, position=999, name="Default", is_default=True, team=team)]
    )
    return insurer, provider, team


def _submitted_claims(count: int, provider: Provider, claimant: User, **fields) -> list[Claim]:
    now = timezone.now()
    return Claim.objects.bulk_create(
        (
            Claim(
                **{
                    "claimant": claimant,
                    "status": ClaimStatus.SUBMITTED,
                    "reference": f"BENCH-{next(_unique):09d}",
                    "provider": provider,
                    "incident_date": "2025-01-01",
                    "knowledge_date": "2025-02-01",
                    "harm_category": "surgical",
                    "severity": "moderate",
                    "submitted_at": now,
                    **fields,
                }
            )
            for _ in range(count)
        ),
        batch_size=5_000,
    )


def _patient() -> User:
    return User.objects.create(email=f"bench-patient-{next(_unique)}@example.org")


def routing_queries_per_claim(adjusters: int) -> int:
    """Database queries to route one claim with 50 rules and a team of `adjusters`."""
    _insurer, provider, _team = _insurer_with_team(adjusters)
    claim = _submitted_claims(1, provider, _patient())[0]
    with CaptureQueriesContext(connection) as queries:
        claim_route(claim_id=claim.pk)
    query_count = len(queries)
    _check(Claim.objects.get(pk=claim.pk).status == ClaimStatus.ASSIGNED, "claim not assigned")
    return query_count


def routing_claims_per_second(count: int = ROUTED_FOR_THROUGHPUT) -> float:
    """Claims routed per second, one after another, with 50 rules and 500 adjusters."""
    _insurer, provider, _team = _insurer_with_team(500, capacity=count)
    claims = _submitted_claims(count, provider, _patient())
    started = time.perf_counter()
    for claim in claims:
        claim_route(claim_id=claim.pk)
    elapsed = time.perf_counter() - started
    unrouted = Claim.objects.filter(pk__in=[c.pk for c in claims], team__isnull=True)
    _check(not unrouted.exists(), "claims left unrouted")
    return count / elapsed


def queue_page(total_claims: int) -> tuple[int, float]:
    """(queries, median seconds) for an adjuster's queue page with `total_claims` in the
    database, a tenth of them the adjuster's own."""
    insurer, provider, _team = _insurer_with_team(10)
    adjuster = User.objects.filter(insurer=insurer).first()
    others = User.objects.filter(insurer=insurer).exclude(pk=adjuster.pk)
    patient = _patient()
    own = total_claims // 10
    _submitted_claims(
        own,
        provider,
        patient,
        insurer=insurer,
        assigned_adjuster=adjuster,
        status=ClaimStatus.UNDER_REVIEW,
        decide_by="2027-01-01",
    )
    per_other = (total_claims - own) // others.count()
    for other in others:
        _submitted_claims(
            per_other,
            provider,
            patient,
            insurer=insurer,
            assigned_adjuster=other,
            status=ClaimStatus.UNDER_REVIEW,
            decide_by="2027-01-01",
        )
    with connection.cursor() as cursor:
        # As autovacuum leaves a table in service: statistics current and pages marked visible,
        # so a count can be answered from the index alone.
        cursor.execute("VACUUM ANALYZE intake_claim")
    return _time_queue_page(adjuster)


# The runner is not a test environment: no 'testserver' host and no collected static files.
PAGE_SETTINGS = {
    "ALLOWED_HOSTS": ["testserver"],
    "STORAGES": {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
}


@override_settings(**PAGE_SETTINGS)
def _time_queue_page(adjuster: User) -> tuple[int, float]:
    client = _signed_in_with_second_factor(adjuster)
    url = reverse("triage:queue")
    _check(client.get(url).status_code == 200, "queue page did not render")  # and warms caches
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    # Read now: the captured queries are a view on Django's query log, which the next request
    # clears.
    query_count = len(queries)
    timings = []
    for _ in range(QUEUE_PAGE_SAMPLES):
        started = time.perf_counter()
        client.get(url)
        timings.append(time.perf_counter() - started)
    return query_count, statistics.median(timings)


def _signed_in_with_second_factor(user: User) -> Client:
    """A client whose session passed a second factor, as allauth records one: the queue is
    behind staff MFA, which asks for an enrolled authenticator and a session that used it."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator

    authenticator, _ = Authenticator.objects.get_or_create(
        user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "x"}}
    )
    client = Client()
    client.force_login(user)
    request = RequestFactory().get("/")
    request.user, request.session = user, client.session
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
    request.session.save()
    return client


def measure() -> list[dict]:
    """Every triage figure, as the results file's rows."""
    few = routing_queries_per_claim(10)
    many = routing_queries_per_claim(1000)
    per_second = routing_claims_per_second()
    small_queries, small_time = queue_page(1_000)
    large_queries, large_time = queue_page(100_000)
    ratio = large_time / small_time
    return [
        _row("routing_queries_per_claim_10_adjusters", few, "queries", f"= {many}", few == many),
        _row("routing_queries_per_claim_1000_adjusters", many, "queries", f"= {few}", few == many),
        _row("routing_claims_per_second", round(per_second, 1), "claims/s", "report", True),
        _row(
            "queue_page_queries_1k",
            small_queries,
            "queries",
            f"= {large_queries}",
            small_queries == large_queries,
        ),
        _row(
            "queue_page_queries_100k",
            large_queries,
            "queries",
            f"= {small_queries}",
            small_queries == large_queries,
        ),
        _row("queue_page_time_ratio_100k_vs_1k", round(ratio, 2), "ratio", "<= 1.5", ratio <= 1.5),
    ]


def _check(condition: bool, problem: str) -> None:
    """A benchmark that did not do the work it measures must not report a figure."""
    if not condition:
        raise RuntimeError(f"Benchmark invalid: {problem}.")


def _row(name: str, value, unit: str, target: str, meets: bool) -> dict:
    return {"name": name, "value": value, "unit": unit, "target": target, "meets": bool(meets)}
