"""A triage lead finds claims in the insurer's list: from the workspace's count to the filtered
list, a filter chosen in the form, a column sorted, the CSV downloaded, a claim opened. axe on
every page. (The dashboard and the learning report have their own journey.)"""

import csv
import datetime
import io
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from intake.models import ClaimStatus, Priority
from tests.e2e.browser import sign_in
from tests.factories import (
    AdjusterFactory,
    ClaimFactory,
    CoverageFactory,
    TriageLeadFactory,
    enrol_totp,
)
from triage.models import AdjusterProfile, Team

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESCRIPTION = "A swab was left inside after the operation."


def test_a_lead_filters_the_claims_list_downloads_it_and_opens_a_claim(
    live_server, page, assert_accessible
):
    coverage = CoverageFactory(insurer__name="Northshire Medical Mutual")
    insurer = coverage.insurer
    team = Team.objects.create(insurer=insurer, name="General claims")
    adjuster = AdjusterFactory(insurer=insurer, full_name="Asha Patel")
    AdjusterProfile.objects.create(user=adjuster, capacity=20)
    team.members.add(adjuster)
    lead = TriageLeadFactory(insurer=insurer, full_name="Lena Lead")
    secret = enrol_totp(lead)
    long_ago = timezone.localdate() - datetime.timedelta(days=20)

    def claim(reference, **fields):
        defaults = {
            "reference": reference,
            "status": ClaimStatus.UNDER_REVIEW,
            "insurer": insurer,
            "team": team,
            "assigned_adjuster": adjuster,
            "provider": coverage.provider,
            "harm_category": "surgical",
            "severity": "moderate",
            "description": DESCRIPTION,
            "submitted_at": timezone.now(),
            "decide_by": timezone.localdate() + datetime.timedelta(days=40),
        }
        return ClaimFactory(**{**defaults, **fields})

    late = claim("CLM-2026-000101", decide_by=long_ago, priority=Priority.URGENT)
    claim("CLM-2026-000102", decide_by=long_ago)
    claim("CLM-2026-000103")
    claim("CLM-2026-000104", status=ClaimStatus.NEEDS_TRIAGE, team=None, assigned_adjuster=None)

    sign_in(page, live_server, lead, totp_secret=secret)
    page.goto(live_server.url + reverse("triage:lead_workspace"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Triage")
    assert_accessible(page)

    # The workspace's count of late decisions opens the list filtered to them.
    page.get_by_role("link", name="2 claims").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Claims")
    expect(page.get_by_role("heading", name="Claims 1 to 2 of 2")).to_be_visible()
    expect(page.get_by_label("Overdue")).to_have_value("decide")
    assert_accessible(page)

    # A second filter, chosen in the form: the URL keeps both, for a bookmark.
    page.get_by_label("Priority").select_option(label="Urgent")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("heading", name="Claims 1 to 1 of 1")).to_be_visible()
    assert "overdue=decide" in page.url and f"priority={Priority.URGENT}" in page.url

    # Cleared, sorted by reference, newest reference first on the second click.
    page.get_by_role("link", name="Clear all filters").click()
    expect(page.get_by_role("heading", name="Claims 1 to 4 of 4")).to_be_visible()
    page.get_by_role("link", name="Reference", exact=True).click()
    page.get_by_role("link", name="Reference", exact=True).click()
    expect(page.locator("th[aria-sort=descending]")).to_have_text("Reference")
    expect(page.locator("tbody th[scope=row]").first).to_have_text("CLM-2026-000104")
    assert_accessible(page)

    # The CSV of the list: every claim, no health text.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download these claims as CSV").click()
    body = Path(download_info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["Reference"] for row in rows] == [
        "CLM-2026-000104",
        "CLM-2026-000103",
        "CLM-2026-000102",
        "CLM-2026-000101",
    ]
    assert DESCRIPTION not in body

    # A claim opens from the list.
    page.get_by_role("link", name=late.reference).click()
    expect(page).to_have_title(re.compile(f"Claim {late.reference}"))
    expect(page.locator("p.caption")).to_have_text(f"Claim {late.reference}")
    assert_accessible(page)
