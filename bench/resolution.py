"""Resolution figures: the case pages' database queries with 1 and with 20 rounds of offers.

A claim's negotiation can run to many rounds (offer, counter-proposal, revised offer...). Each
case page shows them all, so its queries must not grow with them: the patient's page and the
adjuster's page are each rendered for a claim with one round and for a claim with twenty, and
their query counts must be equal. Runs inside a configured Django (PostgreSQL, migrated).
"""

import datetime
import itertools
from decimal import Decimal

from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.triage import PAGE_SETTINGS, _check, _row, _signed_in_with_second_factor
from intake.models import Claim, ClaimStatus
from portal.models import Coverage, Insurer, Provider, Role, User
from resolution.models import HeadOfLoss, Offer, OfferState
from resolution.money import pounds

_unique = itertools.count(1)


def _claim_with_rounds(rounds: int) -> Claim:
    """A claim whose patient has countered `rounds - 1` offers and has the last one open."""
    n = next(_unique)
    insurer = Insurer.objects.create(name=f"Resolution bench insurer {n}")
    provider = Provider.objects.create(name=f"Resolution bench provider {n}", region="North")
    Coverage.objects.create(provider=provider, insurer=insurer, starts_on="2000-01-01")
    patient = User.objects.create_user(
        email=f"resolution-patient-{n}@example.org", full_name="Pat Bench", role=Role.PATIENT
    )
    adjuster = User.objects.create_user(
        email=f"resolution-adjuster-{n}@example.org",
        full_name="Adi Bench",
        role=Role.ADJUSTER,
        insurer=insurer,
    )
    claim = Claim.objects.create(
        claimant=patient,
        status=ClaimStatus.OFFER_MADE,
        reference=f"RES-BENCH-{n:05d}",
        provider=provider,
        insurer=insurer,
        assigned_adjuster=adjuster,
        submitted_at=timezone.now(),
        losses={"earnings": "1000.00", "travel": "50.00"},
    )
    Offer.objects.bulk_create(
        _offer(claim, adjuster, patient, i, last=rounds) for i in range(1, rounds + 1)
    )
    return claim


def _offer(claim: Claim, adjuster: User, patient: User, round_: int, *, last: int) -> Offer:
    open_ = round_ == last
    amount = Decimal(1000 * round_)
    return Offer(
        claim=claim,
        round=round_,
        made_by=adjuster,
        amount=amount,
        breakdown=[
            {"head": HeadOfLoss.GENERAL_DAMAGES, "past": str(amount - 50), "future": "0.00"},
            {"head": HeadOfLoss.TRAVEL, "past": "50.00", "future": "0.00"},
        ],
        terms="In full and final settlement.",
        respond_by=timezone.localdate() + datetime.timedelta(days=21),
        state=OfferState.OPEN if open_ else OfferState.COUNTERED,
        answered_by=None if open_ else patient,
        answered_at=None if open_ else timezone.now(),
        answer_reasons="" if open_ else "My losses are higher.",
        counter_amount=None if open_ else amount + 500,
    )


@override_settings(**PAGE_SETTINGS)
def case_page_queries(claim: Claim) -> tuple[int, int]:
    """(patient page queries, adjuster page queries) for `claim`, each after a warming render."""
    patient = Client()
    patient.force_login(claim.claimant)
    staff = _signed_in_with_second_factor(claim.assigned_adjuster)
    counts = []
    for client, url in (
        (patient, reverse("intake:claim_detail", args=[claim.pk])),
        (staff, reverse("triage:claim_work", args=[claim.pk])),
    ):
        _check(client.get(url).status_code == 200, f"{url} did not render")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        shown = response.content.decode()
        _check(claim.reference in shown, f"{url} did not show the claim")
        # Every round is on the page: the first offer's amount as well as the open one's.
        _check(pounds(Decimal(1000)) in shown, f"{url} did not show the first round")
        counts.append(len(queries))
    return counts[0], counts[1]


def measure() -> list[dict]:
    """The case pages' query counts with 1 and 20 rounds, as the results file's rows."""
    patient_1, staff_1 = case_page_queries(_claim_with_rounds(1))
    patient_20, staff_20 = case_page_queries(_claim_with_rounds(20))
    return [
        _row(
            "case_page_queries_1_round",
            patient_1,
            "queries",
            f"= {patient_20}",
            patient_1 == patient_20,
        ),
        _row(
            "case_page_queries_20_rounds",
            patient_20,
            "queries",
            f"= {patient_1}",
            patient_1 == patient_20,
        ),
        _row(
            "staff_case_page_queries_1_round",
            staff_1,
            "queries",
            f"= {staff_20}",
            staff_1 == staff_20,
        ),
        _row(
            "staff_case_page_queries_20_rounds",
            staff_20,
            "queries",
            f"= {staff_1}",
            staff_1 == staff_20,
        ),
    ]
