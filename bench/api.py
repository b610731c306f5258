"""The API's claims list: the same queries, and nearly the same time, for an insurer with 1,000
claims as for one with 100,000 (the cursor seeks into the reference's index; no count, no
offset). Both insurers' lists are timed in turn, so drift in the machine tilts neither."""

import statistics
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework.test import APIClient

from api.services import api_client_create, api_client_key_issue
from bench.triage import PAGE_SETTINGS, _check, _patient, _row, _submitted_claims
from intake.models import ClaimStatus
from portal.models import Insurer, Provider

SAMPLES = 25
URL = "/api/v1/claims/?page_size=50"


def _insurer_with_claims(count: int) -> APIClient:
    """A client of a new insurer with `count` claims under review; the client sends its key."""
    insurer = Insurer.objects.create(name=f"Bench insurer {count}")
    provider = Provider.objects.create(name=f"Bench provider {count}", region="North")
    _submitted_claims(count, provider, _patient(), insurer=insurer, status=ClaimStatus.UNDER_REVIEW)
    client = api_client_create(
        name="Bench system", insurer=insurer, scopes=["claims:read"], actor=None
    )
    _row_, key = api_client_key_issue(client=client, actor=None)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return http


def _queries(http: APIClient) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = http.get(URL)
    _check(response.status_code == 200, f"claims list answered {response.status_code}")
    _check(len(response.json()["results"]) == 50, "claims list page not full")
    return len(queries)


@override_settings(**PAGE_SETTINGS)
def measure() -> list[dict]:
    small = _insurer_with_claims(1_000)
    large = _insurer_with_claims(100_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE intake_claim")
    # The second read of each is the one counted: the first may write last_used_at.
    for http in (small, large, small, large):
        http.get(URL)
    small_queries, large_queries = _queries(small), _queries(large)
    timings = {"small": [], "large": []}
    for _ in range(SAMPLES):
        for name, http in (("small", small), ("large", large)):
            started = time.perf_counter()
            http.get(URL)
            timings[name].append(time.perf_counter() - started)
    ratio = statistics.median(timings["large"]) / statistics.median(timings["small"])
    same = small_queries == large_queries
    return [
        _row("api_claims_list_queries_1k", small_queries, "queries", f"= {large_queries}", same),
        _row("api_claims_list_queries_100k", large_queries, "queries", f"= {small_queries}", same),
        _row(
            "api_claims_list_time_ratio_100k_vs_1k",
            round(ratio, 2),
            "ratio",
            "<= 1.5",
            ratio <= 1.5,
        ),
    ]
