"""Privacy retention figures: the database queries of one anonymisation batch of 100 claims and
of one of 1,000.

The daily run anonymises claims past their retention in batches (privacy/retention.py); each
batch is set-based, so its queries must not grow with the claims in it. Claims that ended eleven
years ago are made in bulk, each with a thread, a note, an accepted offer, a status history row,
a document row and a verified email address, and a batch of each size is run with the queries
captured. The document rows have no stored object: the store's deletions are requests, not
queries, and are not counted.
Runs inside a configured Django (PostgreSQL, migrated).
"""

import datetime
import itertools
import uuid
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.triage import _check, _row
from documents.models import Document, ScanStatus
from intake.models import Claim, ClaimMessage, ClaimStatus, ClaimStatusChange
from portal.models import Coverage, Insurer, Provider, Role, User
from privacy.retention import claims_anonymise_batch
from privacy.retention_models import AnonymisedClaim
from resolution.models import Offer, OfferState
from triage.models import ClaimNote

_unique = itertools.count(1)


def _ended_claims(count: int, *, ended_at: datetime.datetime) -> list:
    """`count` closed claims that ended at `ended_at`, each of its own patient."""
    n = next(_unique)
    insurer = Insurer.objects.create(name=f"Retention bench insurer {n}")
    provider = Provider.objects.create(name=f"Retention bench provider {n}", region="North")
    Coverage.objects.create(provider=provider, insurer=insurer, starts_on="2000-01-01")
    adjuster = User.objects.create_user(
        email=f"retention-adjuster-{n}@example.org", role=Role.ADJUSTER, insurer=insurer
    )
    patients = User.objects.bulk_create(
        User(email=f"retention-{n}-{i}@example.org", full_name="Pat Bench", role=Role.PATIENT)
        for i in range(count)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=patient, email=patient.email, verified=True, primary=True)
        for patient in patients
    )
    claims = Claim.objects.bulk_create(
        Claim(
            claimant=patient,
            status=ClaimStatus.CLOSED,
            reference=f"RET-{n:02d}-{i:06d}",
            provider=provider,
            insurer=insurer,
            assigned_adjuster=adjuster,
            submitted_at=ended_at - datetime.timedelta(days=200),
            harm_category="surgical",
            severity="moderate",
            claimed_amount=Decimal("5000.00"),
            phone="07700 900000",
            address="1 Bench Street",
            description="What happened.",
        )
        for i, patient in enumerate(patients)
    )
    ClaimStatusChange.objects.bulk_create(
        ClaimStatusChange(
            claim=claim,
            from_status=ClaimStatus.SETTLED,
            to_status=ClaimStatus.CLOSED,
            occurred_at=ended_at,
        )
        for claim in claims
    )
    ClaimMessage.objects.bulk_create(
        ClaimMessage(claim=claim, author=claim.claimant, body="A message.") for claim in claims
    )
    ClaimNote.objects.bulk_create(
        ClaimNote(claim=claim, author=adjuster, body="A note.") for claim in claims
    )
    Offer.objects.bulk_create(
        Offer(
            claim=claim,
            round=1,
            made_by=adjuster,
            amount=Decimal("4000.00"),
            respond_by=ended_at.date(),
            state=OfferState.ACCEPTED,
            answered_by=claim.claimant,
            answered_at=ended_at,
            answer_reasons="Reasons.",
        )
        for claim in claims
    )
    Document.objects.bulk_create(
        Document(
            claim=claim,
            uploader=claim.claimant,
            category="medical_records",
            original_name="records.pdf",
            storage_key=f"clean/{uuid.uuid4()}",
            size=1,
            sha256="0" * 64,
            content_type="application/pdf",
            scan_status=ScanStatus.CLEAN,
        )
        for claim in claims
    )
    return [claim.pk for claim in claims]


def batch_queries(size: int, *, now: datetime.datetime) -> int:
    """The queries of one batch of `size` claims, all of them due."""
    before = AnonymisedClaim.objects.count()
    with CaptureQueriesContext(connection) as queries:
        done = claims_anonymise_batch(now=now, size=size)
    _check(done.claims == size, f"the batch anonymised {done.claims} claims, not {size}")
    _check(AnonymisedClaim.objects.count() == before + size, "the claims were not marked")
    return len(queries)


def measure() -> list[dict]:
    now = timezone.now()
    ended_at = now - datetime.timedelta(days=11 * 366)
    # The first batch ever also makes the placeholder claimant: run it before measuring.
    _ended_claims(1, ended_at=ended_at)
    claims_anonymise_batch(now=now, size=1)
    _ended_claims(100, ended_at=ended_at)
    small = batch_queries(100, now=now)
    _ended_claims(1000, ended_at=ended_at)
    large = batch_queries(1000, now=now)
    return [
        _row("anonymise_queries_per_batch_100", small, "queries", f"= {large}", small == large),
        _row("anonymise_queries_per_batch_1000", large, "queries", f"= {small}", small == large),
    ]
