"""How a claim ends, in two browsers: the adjuster's offer, the patient's counter-proposal, the
revised offer and its acceptance, the settlement letter downloaded, the bank details given, the
payment recorded, and the patient seeing "Paid" on a closed claim. A real worker writes the
letters and scans them; axe checks every page on the way."""

import io
import time

import pikepdf
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from documents.models import Document, LetterKind, ScanStatus
from intake.models import Claim, ClaimStatus
from resolution.models import Offer, OfferState
from tests.date_input_posts import fill_date
from tests.e2e.browser import sign_in
from tests.factories import (
    AdjusterFactory,
    ClaimFactory,
    CoverageFactory,
    UserFactory,
    draft_answers,
    enrol_totp,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WORKER_TIMEOUT_S = 60


def _claim_under_review() -> Claim:
    coverage = CoverageFactory()
    adjuster = AdjusterFactory(insurer=coverage.insurer, full_name="Asha Patel")
    return ClaimFactory(
        **draft_answers(),
        claimant=UserFactory(full_name="Robin Ellis"),
        status=ClaimStatus.UNDER_REVIEW,
        provider=coverage.provider,
        insurer=coverage.insurer,
        assigned_adjuster=adjuster,
        submitted_at=timezone.now(),
        losses={"earnings": "2400.00"},
    )


def _clean_letter(claim: Claim, kind: str) -> Document:
    """Wait for the worker to write `kind`'s letter and the scanner to pass it."""
    deadline = time.monotonic() + WORKER_TIMEOUT_S
    while time.monotonic() < deadline:
        letter = Document.objects.filter(claim=claim, letter_kind=kind).first()
        if letter is not None and letter.scan_status == ScanStatus.CLEAN:
            return letter
        time.sleep(0.25)
    pytest.fail(f"No clean {kind} letter for {claim.reference} in time.")


def _offer(staff, *, general_damages: str, earnings: str) -> None:
    staff.get_by_label("General damages (pain, suffering, loss of amenity), past amount").fill(
        general_damages
    )
    staff.get_by_label("Lost earnings, past amount").fill(earnings)
    staff.get_by_role("button", name="Send offer").click()
    expect(staff.get_by_text("Your offer has been sent to the patient.")).to_be_visible()


def test_an_offer_is_countered_revised_accepted_and_paid(
    module_worker, live_server, page, browser, assert_accessible
):
    claim = _claim_under_review()
    adjuster = claim.assigned_adjuster
    secret = enrol_totp(adjuster)
    case_url = f"{live_server.url}/claims/{claim.pk}/"
    staff_url = f"{live_server.url}/work/claims/{claim.pk}/"

    # The adjuster offers £10,000 made up of general damages and lost earnings.
    staff = browser.new_context().new_page()
    staff.set_default_timeout(15_000)
    sign_in(staff, live_server, adjuster, totp_secret=secret)
    staff.goto(staff_url)
    assert_accessible(staff)
    staff.get_by_text("Make an offer").click()
    _offer(staff, general_damages="8000", earnings="2000")
    assert_accessible(staff)

    # The patient sees the dates and the offer, and proposes £14,000 instead.
    sign_in(page, live_server, claim.claimant)
    page.goto(case_url)
    expect(page.get_by_role("heading", name="What happens next, and by when")).to_be_visible()
    expect(page.get_by_text("The insurer offers you £10,000.00.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Make a counter-proposal").click()
    assert_accessible(page)
    page.get_by_label("The amount you propose, in pounds").fill("14000")
    page.get_by_label("Why do you propose this amount?").fill("My lost earnings were higher.")
    page.get_by_role("button", name="Send my counter-proposal").click()
    expect(page.get_by_text("Counter-proposal sent").first).to_be_visible()
    assert_accessible(page)

    # The adjuster reads the counter-proposal and makes a revised offer of £12,500.
    staff.goto(staff_url)
    expect(staff.get_by_text("Counter-proposal of £14,000.00").first).to_be_visible()
    staff.get_by_text("Make a revised offer").click()
    _offer(staff, general_damages="9500", earnings="3000")

    # The patient accepts it, after the page that says what accepting gives up.
    page.goto(case_url)
    expect(page.get_by_text("The insurer offers you £12,500.00.")).to_be_visible()
    expect(page.get_by_role("heading", name="Offer 1: £10,000.00")).to_be_visible()
    page.get_by_role("link", name="Accept the offer").click()
    expect(page.get_by_text("Twelve thousand, five hundred pounds")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("I understand that accepting is a full and final settlement").check()
    page.get_by_role("button", name="Accept the offer").click()
    expect(page.get_by_text("You accepted the offer of £12,500.00")).to_be_visible()
    assert [o.state for o in Offer.objects.filter(claim=claim)] == [
        OfferState.COUNTERED,
        OfferState.ACCEPTED,
    ]

    # The settlement letter is written, scanned and downloaded through the documents' door.
    letter = _clean_letter(claim, LetterKind.SETTLEMENT)
    page.reload()
    assert_accessible(page)
    with page.expect_download() as downloaded:
        page.get_by_role("link", name=letter.original_name).click()
    pdf = pikepdf.open(io.BytesIO(downloaded.value.path().read_bytes()))
    assert "/StructTreeRoot" in pdf.Root
    assert str(pdf.Root.Lang) == "en-GB"

    # The patient gives the bank account to pay into.
    page.get_by_role("link", name="Give your bank details").click()
    assert_accessible(page)
    page.get_by_label("Name on the account").fill("Robin Ellis")
    page.get_by_label("Sort code").fill("20-00-00")
    page.get_by_label("Account number").fill("55779911")
    page.get_by_role("button", name="Save bank details").click()
    expect(page.get_by_text("****9911")).to_be_visible()
    expect(page.get_by_text("55779911")).to_have_count(0)

    # The adjuster records the payment from the finance system; the claim closes.
    staff.goto(staff_url)
    expect(staff.get_by_text("****9911")).to_be_visible()
    staff.get_by_text("Record a payment").click()
    staff.get_by_label("Amount paid (£)").fill("12500")
    fill_date(staff, "Date paid", timezone.localdate())
    staff.get_by_label("How it was paid").select_option("bank_transfer")
    staff.get_by_label("Finance system reference").fill("FIN-2026-0042")
    staff.get_by_role("button", name="Record payment").click()
    assert_accessible(staff)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CLOSED

    # The patient sees "Paid".
    page.goto(case_url)
    expect(page.get_by_text("Paid", exact=True)).to_be_visible()
    expect(page.get_by_text(f"Paid in full on {timezone.localdate():%-d %B %Y}")).to_be_visible()
    assert_accessible(page)
