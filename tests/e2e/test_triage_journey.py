"""From submission to an accepted offer across both sides, in two browsers: the patient's and the
adjuster's. A real worker routes the claim and scans the patient's document."""

import datetime
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from intake.models import Claim, ClaimStatus
from tests.date_input_posts import fill_date
from tests.documents import samples
from tests.e2e.browser import sign_in
from tests.factories import (
    AdjusterFactory,
    CoverageFactory,
    UserFactory,
    complete_draft,
    enrol_totp,
)
from triage.models import AdjusterProfile, RoutingRule, Team

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WORKER_TIMEOUT_MS = 60_000


def _routed_to(claim: Claim, adjuster, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        claim.refresh_from_db()
        if claim.assigned_adjuster_id == adjuster.pk:
            return
        time.sleep(0.25)
    pytest.fail(f"The worker did not route {claim.reference} to the adjuster in time.")


def test_a_claim_goes_from_submission_to_an_offer(
    module_worker,
    live_server,
    page,
    browser,
    assert_accessible,
):
    coverage = CoverageFactory()
    team = Team.objects.create(insurer=coverage.insurer, name="General claims")
    adjuster = AdjusterFactory(insurer=coverage.insurer, full_name="Asha Patel")
    team.members.add(adjuster)
    AdjusterProfile.objects.create(user=adjuster, capacity=20)
    RoutingRule.objects.create(
        insurer=coverage.insurer, position=99, is_default=True, name="All", team=team
    )
    secret = enrol_totp(adjuster)
    patient = UserFactory()
    draft = complete_draft(patient, provider=coverage.provider)

    # The patient sends the claim; a worker routes it to the adjuster.
    sign_in(page, live_server, patient)
    page.goto(f"{live_server.url}/claims/{draft.pk}/check-answers/")
    page.get_by_role("button", name="Send claim").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Claim sent")
    claim = Claim.objects.get(pk=draft.pk)
    _routed_to(claim, adjuster)

    staff = browser.new_context().new_page()
    staff.set_default_timeout(15_000)
    sign_in(staff, live_server, adjuster, totp_secret=secret)
    expect(staff.get_by_role("heading", level=1)).to_have_text("Your queue")
    assert_accessible(staff)
    staff.get_by_role("link", name=claim.reference).click()
    assert_accessible(staff)
    staff.get_by_role("button", name="Acknowledge and start review").click()
    expect(staff.get_by_text("Claim acknowledged")).to_be_visible()
    staff.get_by_text("Request information from the claimant").click()
    staff.get_by_label("What do you need from the patient?").fill(
        "Please send your discharge letter."
    )
    fill_date(staff, "Reply by", timezone.localdate() + datetime.timedelta(days=30))
    staff.get_by_role("button", name="Send request").click()
    expect(staff.get_by_text("Your request has been sent to the patient.")).to_be_visible()

    # The patient answers with a document and a message.
    page.goto(f"{live_server.url}/claims/{claim.pk}/")
    expect(page.get_by_text("Please send your discharge letter.").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Choose files, or drag them here").set_input_files(
        [{"name": "discharge.pdf", "mimeType": "application/pdf", "buffer": samples.pdf()}]
    )
    page.get_by_label("What is this file?").select_option("medical_records")
    page.get_by_role("button", name="Send files").click()
    # The portal's own letters are clean documents of the claim too: count the patient's file.
    clean_upload = page.locator('tr[data-status="clean"]', has_text="discharge.pdf")
    expect(clean_upload).to_have_count(1, timeout=WORKER_TIMEOUT_MS)
    page.get_by_label("Your message").fill("The letter is attached.")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_text("Your answer has been sent")).to_be_visible()

    # The adjuster sees the answer and the document, and makes an offer.
    staff.reload()
    expect(staff.get_by_text("The letter is attached.")).to_be_visible()
    expect(staff.get_by_role("link", name="discharge.pdf")).to_be_visible()
    staff.get_by_text("Make an offer").click()
    staff.get_by_label("General damages (pain, suffering, loss of amenity), past amount").fill(
        "15000"
    )
    staff.get_by_role("button", name="Send offer").click()
    expect(staff.get_by_text("Your offer has been sent to the patient.")).to_be_visible()

    page.reload()
    expect(page.get_by_text("The insurer offers you £15,000.00.")).to_be_visible()
    expect(page.get_by_text("Offer made").first).to_be_visible()
    assert_accessible(page)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OFFER_MADE

    # The patient accepts, after the page that says what accepting gives up.
    page.get_by_role("link", name="Accept the offer").click()
    expect(page.get_by_text("Fifteen thousand pounds")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Accept the offer").click()
    expect(page.get_by_text("Tick the box to confirm").first).to_be_visible()
    page.get_by_label("I understand that accepting is a full and final settlement").check()
    page.get_by_role("button", name="Accept the offer").click()
    expect(page.get_by_text("You accepted the offer of £15,000.00")).to_be_visible()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SETTLED
