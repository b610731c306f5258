"""A triage lead looks at the dashboard (every chart drawn, axe clean) and downloads a provider's
learning report as a tagged PDF."""

import datetime
from decimal import Decimal
from pathlib import Path

import pikepdf
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from intake.models import ClaimStatus
from tests.e2e.browser import sign_in
from tests.factories import (
    ClaimFactory,
    CoverageFactory,
    TriageLeadFactory,
    UserFactory,
    enrol_totp,
)
from tests.resolution.factories_payments import OfferFactory, SettlementFactory
from tests.resolution.test_letters import pdf_text

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _book(coverage) -> None:
    now = timezone.now()
    for n in range(12):
        claim = ClaimFactory(
            claimant=UserFactory(full_name=f"Journey Patient {n}"),
            status=ClaimStatus.SETTLED if n % 2 else ClaimStatus.UNDER_REVIEW,
            insurer=coverage.insurer,
            provider=coverage.provider,
            harm_category="surgical" if n < 8 else "medication",
            severity="moderate",
            description="Journeysecret: what happened",
            submitted_at=now - datetime.timedelta(days=5 + 4 * n),
            acknowledge_by=timezone.localdate() + datetime.timedelta(days=3),
        )
        if n % 2:
            offer = OfferFactory(claim=claim, round=1, amount=Decimal("9000"))
            SettlementFactory(offer=offer, agreed_at=now - datetime.timedelta(days=2))


def test_a_lead_reads_the_dashboard_and_downloads_the_learning_report(
    live_server, page, assert_accessible, tmp_path
):
    coverage = CoverageFactory()
    lead = TriageLeadFactory(insurer=coverage.insurer)
    secret = enrol_totp(lead)
    _book(coverage)

    sign_in(page, live_server, lead, totp_secret=secret)
    page.goto(f"{live_server.url}/oversight/dashboard/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("table", name="Claims received per week")).to_be_visible()
    # Every chart is an image the browser drew (an SVG that loaded within the CSP).
    charts = page.locator("figure.chart img")
    expect(charts).to_have_count(8)
    for i in range(8):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
        )
    assert_accessible(page)

    page.get_by_role("main").get_by_role("link", name="Learning from claims").click()
    expect(page.get_by_role("heading", name="Learning from claims")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as downloaded:
        page.get_by_role("link", name=f"PDF report for {coverage.provider.name}").click()
    path = Path(tmp_path) / "report.pdf"
    downloaded.value.save_as(path)
    pdf = path.read_bytes()
    with pikepdf.open(path) as document:
        assert "/StructTreeRoot" in document.Root
    text = pdf_text(pdf)
    assert coverage.provider.name in text
    assert "Journey Patient" not in text and "Journeysecret" not in text
