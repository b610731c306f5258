"""Routing under real concurrency: claims routed at the same moment, each in its own connection
and transaction on PostgreSQL, must never push an adjuster past their capacity."""

import datetime
import threading

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from intake.models import OPEN_FOR_ADJUSTER, Claim, ClaimStatus
from tests.factories import (
    AdjusterFactory,
    AdjusterProfileFactory,
    ClaimFactory,
    CoverageFactory,
    RoutingRuleFactory,
)
from tests.threads import in_thread
from triage.models import RoutingDecision
from triage.services import claim_route

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

CLAIMS = 12
ADJUSTERS = 3
CAPACITY = 2
TIMEOUT = 30


def test_simultaneous_routing_never_passes_an_adjusters_capacity():
    coverage = CoverageFactory()
    team = RoutingRuleFactory(insurer=coverage.insurer, is_default=True).team
    adjusters = [AdjusterFactory(insurer=coverage.insurer) for _ in range(ADJUSTERS)]
    for adjuster in adjusters:
        AdjusterProfileFactory(user=adjuster, capacity=CAPACITY)
        team.members.add(adjuster)
    claims = [
        ClaimFactory(
            status=ClaimStatus.SUBMITTED,
            provider=coverage.provider,
            incident_date=datetime.date(2024, 3, 4),
            harm_category="surgical",
            severity="moderate",
            submitted_at=timezone.now(),
        )
        for _ in range(CLAIMS)
    ]
    start = threading.Barrier(CLAIMS, timeout=TIMEOUT)

    def route(claim):
        def work():
            start.wait()
            return claim_route(claim_id=str(claim.pk))

        return work

    running = [in_thread(route(claim)) for claim in claims]
    for thread, _ in running:
        thread.join(TIMEOUT)

    assert not any(thread.is_alive() for thread, _ in running), "a routing never finished"
    assert [outcome["error"] for _, outcome in running if "error" in outcome] == []
    open_claims = dict(
        Claim.objects.filter(assigned_adjuster__in=adjusters, status__in=OPEN_FOR_ADJUSTER)
        .values_list("assigned_adjuster")
        .annotate(n=Count("pk"))
    )
    assert max(open_claims.values()) <= CAPACITY
    routed = Claim.objects.filter(pk__in=[claim.pk for claim in claims])
    assert routed.filter(status=ClaimStatus.ASSIGNED).count() == ADJUSTERS * CAPACITY
    waiting = routed.filter(status=ClaimStatus.SUBMITTED, team=team, assigned_adjuster=None)
    assert waiting.count() == CLAIMS - ADJUSTERS * CAPACITY
    decisions = dict(
        RoutingDecision.objects.filter(claim__in=routed)
        .values_list("claim")
        .annotate(n=Count("pk"))
    )
    assert decisions == {claim.pk: 1 for claim in claims}
