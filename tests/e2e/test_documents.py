"""A patient sends documents in the browser, watches them pass the virus check, and opens one;
and the same without JavaScript, through the plain form."""

import re

import pytest
from playwright.sync_api import expect

from tests.documents import samples
from tests.documents.conftest import submitted_claim
from tests.e2e.browser import sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCAN_TIMEOUT_MS = 60_000


def test_patient_uploads_two_files_watches_them_pass_and_downloads_one(
    module_worker,
    live_server,
    page,
    assert_accessible,
):
    patient = UserFactory()
    claim = submitted_claim(claimant=patient)
    sign_in(page, live_server, patient)
    page.goto(f"{live_server.url}/claims/{claim.pk}/")
    expect(page.get_by_text("No documents yet.")).to_be_visible()
    expect(page.get_by_label("Choose files, or drag them here")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Choose files, or drag them here").set_input_files(
        [
            {"name": "letter.pdf", "mimeType": "application/pdf", "buffer": samples.pdf()},
            {"name": "knee.png", "mimeType": "image/png", "buffer": samples.png()},
        ]
    )
    categories = page.get_by_label("What is this file?")
    expect(categories).to_have_count(2)
    assert_accessible(page)
    page.get_by_role("button", name="Send files").click()  # no category yet: refused on the page
    expect(page.get_by_text("Choose what this file is.").first).to_be_visible()
    categories.nth(0).select_option("medical_records")
    categories.nth(1).select_option("photos")
    page.get_by_role("button", name="Send files").click()

    expect(page.get_by_text("Sent. We are checking it for viruses.")).to_have_count(2)
    for progress in page.locator("progress").all():
        expect(progress).to_have_attribute("value", "100")
    rows = page.locator("tr[data-document-id]")
    expect(rows).to_have_count(2)
    expect(page.locator('tr[data-status="clean"]')).to_have_count(2, timeout=SCAN_TIMEOUT_MS)
    expect(page.get_by_role("link", name="letter.pdf")).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="letter.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "letter.pdf"
    with open(download.path(), "rb") as handle:
        assert handle.read() == samples.pdf()


def test_without_javascript_the_plain_form_sends_files_with_their_categories(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    patient = UserFactory()
    claim = submitted_claim(claimant=patient)
    try:
        sign_in(page, live_server, patient)
        page.goto(f"{live_server.url}/claims/{claim.pk}/")

        page.get_by_label("File 1", exact=True).set_input_files(
            {"name": "receipt.txt", "mimeType": "text/plain", "buffer": b"Taxi: 12.50\n"}
        )
        page.get_by_label("What is file 1?").select_option("receipts")
        page.get_by_label("File 2", exact=True).set_input_files(
            {"name": "fake.jpg", "mimeType": "image/jpeg", "buffer": samples.html()}
        )
        page.get_by_label("What is file 2?").select_option("photos")
        page.get_by_role("button", name="Send files").click()

        # (axe needs JavaScript, so this page is checked by the test above, not here.)
        expect(page.get_by_role("alert")).to_contain_text("“fake.jpg” is not a JPEG image")

        page.get_by_label("File 1", exact=True).set_input_files(
            {"name": "receipt.txt", "mimeType": "text/plain", "buffer": b"Taxi: 12.50\n"}
        )
        page.get_by_label("What is file 1?").select_option("receipts")
        page.get_by_role("button", name="Send files").click()

        expect(page.get_by_text("1 file received")).to_be_visible()
        row = page.locator("tr", has=page.get_by_role("cell", name="receipt.txt"))
        # Pending, or already passed if the worker (still running from the test above) was quick.
        expect(row).to_contain_text(re.compile("checking this file for viruses|none found"))
    finally:
        context.close()
