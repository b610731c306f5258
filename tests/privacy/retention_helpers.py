"""Helpers for the retention, holds and erasure tests: an ended claim with everything a claim can
hold, documents on the real S3 server (with old versions on a versioned bucket), and the
aggregates the dashboards count."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from documents import objects
from documents.models import Document, ScanStatus
from intake.models import Claim, ClaimMessage, ClaimStatus, ClaimStatusChange
from resolution.models import (
    BankDetails,
    Offer,
    OfferState,
    Payment,
    PaymentMethod,
    Reserve,
    Settlement,
)
from tests.factories import AdjusterFactory, ClaimFactory, CoverageFactory, UserFactory
from triage.models import ClaimNote

#: A bucket of the tests' own with versioning on, so that old versions exist to be deleted;
#: the shared bucket of the other tests is left as it is.
VERSIONED_BUCKET = "portal-privacy-retention-tests"

NOW = datetime.datetime(2037, 6, 15, 3, 0, tzinfo=datetime.UTC)


@pytest.fixture
def versioned_bucket(settings):
    client = objects.client()
    try:
        client.create_bucket(Bucket=VERSIONED_BUCKET)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    except objects.StorageErrors as error:
        if "BucketAlreadyExists" not in str(error):
            raise
    client.put_bucket_versioning(
        Bucket=VERSIONED_BUCKET, VersioningConfiguration={"Status": "Enabled"}
    )
    settings.S3_BUCKET = VERSIONED_BUCKET
    return VERSIONED_BUCKET


def stored_document(claim: Claim, *, versions: int = 2, **fields) -> Document:
    """A clean document whose object has `versions` versions (an overwritten upload) under its
    clean key, and one under its quarantine key, on the real S3 server."""
    uuid_part = uuid.uuid4()
    for number in range(versions):
        objects.client().put_object(
            Bucket=settings.S3_BUCKET, Key=f"clean/{uuid_part}", Body=f"v{number}".encode()
        )
    objects.client().put_object(
        Bucket=settings.S3_BUCKET, Key=f"quarantine/{uuid_part}", Body=b"quarantined"
    )
    values = {
        "claim": claim,
        "uploader": claim.claimant,
        "category": "medical_records",
        "original_name": "HIV test results.pdf",
        "storage_key": f"clean/{uuid_part}",
        "size": 2,
        "sha256": "0" * 64,
        "content_type": "application/pdf",
        "scan_status": ScanStatus.CLEAN,
        "scanned_at": timezone.now(),
    }
    values.update(fields)
    return Document.objects.create(**values)


def ended_claim(
    *,
    ended_at: datetime.datetime,
    claimant=None,
    status: str = ClaimStatus.CLOSED,
    amount: str = "12000.00",
    documents: int = 0,
) -> Claim:
    """A claim that ended on `ended_at`, with personal details, a thread, a note, an offer that
    was accepted, a settlement paid in full, bank details and a reserve."""
    coverage = CoverageFactory()
    adjuster = AdjusterFactory(insurer=coverage.insurer)
    claimant = claimant or UserFactory()
    claim = ClaimFactory(
        claimant=claimant,
        status=status,
        provider=coverage.provider,
        insurer=coverage.insurer,
        assigned_adjuster=adjuster,
        submitted_at=ended_at - datetime.timedelta(days=300),
        incident_date=datetime.date(2025, 1, 10),
        harm_category="surgical",
        severity="severe",
        claimed_amount=Decimal(amount),
        date_of_birth=datetime.date(1980, 2, 3),
        phone="07700 900123",
        address="1 High Street, Leeds",
        nhs_number="943 476 5919",
        description="The surgeon left a swab inside me.",
        injuries="Sepsis and a second operation.",
    )
    ClaimStatusChange.objects.create(
        claim=claim,
        from_status=ClaimStatus.SETTLED,
        to_status=status,
        reason="Paid in full after the patient's hospital stay.",
        occurred_at=ended_at,
    )
    ClaimMessage.objects.create(claim=claim, author=claimant, body="My wound is still open.")
    ClaimMessage.objects.create(claim=claim, author=adjuster, body="Please send your GP notes.")
    ClaimNote.objects.create(claim=claim, author=adjuster, body="Claimant has diabetes.")
    offer = Offer.objects.create(
        claim=claim,
        round=1,
        made_by=adjuster,
        amount=Decimal(amount),
        breakdown=[{"head": "general_damages", "past": amount, "future": "0"}],
        terms="Full and final settlement of the sepsis claim.",
        respond_by=ended_at.date(),
        state=OfferState.ACCEPTED,
        answered_by=claimant,
        answered_at=ended_at,
        answer_reasons="I need the money for care.",
    )
    settlement = Settlement.objects.create(
        claim=claim, offer=offer, amount=Decimal(amount), agreed_by=claimant
    )
    Payment.objects.create(
        settlement=settlement,
        amount=Decimal(amount),
        paid_on=ended_at.date(),
        method=PaymentMethod.BANK_TRANSFER,
        finance_reference="FIN-1",
        recorded_by=adjuster,
    )
    BankDetails.objects.create(
        claim=claim,
        account_name_encrypted="x",
        sort_code_encrypted="x",
        account_number_encrypted="x",
        given_by=claimant,
    )
    Reserve.objects.create(
        claim=claim, amount=Decimal(amount), reason="Sepsis: long stay", set_by=adjuster
    )
    for _number in range(documents):
        stored_document(claim)
    return claim


def dashboard_totals() -> dict:
    """What the oversight dashboards count: claims by status, category, severity, insurer,
    provider and team, and the sums of amounts claimed, offered, settled, paid and reserved."""
    claims = Claim.objects.exclude(status=ClaimStatus.DRAFT)
    return {
        "claims": claims.count(),
        "by_status": sorted(claims.values_list("status").annotate(n=Count("pk"))),
        "by_category": sorted(claims.values_list("harm_category").annotate(n=Count("pk"))),
        "by_severity": sorted(claims.values_list("severity").annotate(n=Count("pk"))),
        "by_insurer": sorted(
            (str(i), n) for i, n in claims.values_list("insurer_id").annotate(n=Count("pk"))
        ),
        "by_provider": sorted(claims.values_list("provider_id").annotate(n=Count("pk"))),
        "claimed": claims.aggregate(s=Sum("claimed_amount"))["s"],
        "offered": Offer.objects.aggregate(s=Sum("amount"))["s"],
        "settled": Settlement.objects.aggregate(s=Sum("amount"))["s"],
        "paid": Payment.objects.aggregate(s=Sum("amount"))["s"],
        "reserved": Reserve.objects.aggregate(s=Sum("amount"))["s"],
        "dates": sorted(
            (str(c), str(s)) for c, s in claims.values_list("incident_date", "submitted_at")
        ),
    }
