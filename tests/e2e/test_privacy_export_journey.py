"""A patient asks for a copy of their data on "Your data", a real worker builds the zip from
S3 into S3, the email that it is ready goes out, and the patient downloads the zip and finds
their claim, their document and its checksum in it; axe checks each page."""

import hashlib
import io
import json
import re
import time
import zipfile
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from documents import objects, services
from notifications.emails import notification_email
from notifications.models import Channel, Notification, State
from privacy.export_models import ExportRequest, ExportState
from tests.documents import samples
from tests.documents.conftest import stored, submitted_claim
from tests.e2e.browser import sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WORKER_TIMEOUT_S = 90


def _sent_email(patient) -> Notification:
    """Wait for the worker to build the copy and send the email that it is ready."""
    deadline = time.monotonic() + WORKER_TIMEOUT_S
    while time.monotonic() < deadline:
        row = Notification.objects.filter(
            recipient=patient, kind="export_ready", channel=Channel.EMAIL, state=State.SENT
        ).first()
        if row is not None:
            return row
        time.sleep(0.25)
    pytest.fail("The email that the copy is ready was not sent in time.")


def test_a_patient_asks_for_their_data_gets_the_email_and_downloads_the_zip(
    module_worker, live_server, page, assert_accessible
):
    patient = UserFactory(full_name="Robin Ellis")
    claim = submitted_claim(claimant=patient)
    document = stored(claim, samples.pdf("Discharge summary"), name="discharge.pdf")
    services.document_scan_run(document_id=document.pk)
    document.refresh_from_db()
    assert document.is_downloadable

    sign_in(page, live_server, patient)
    page.goto(f"{live_server.url}/privacy/your-data/")
    expect(page.get_by_role("heading", name="What we hold about you")).to_be_visible()
    expect(page.get_by_text("You have not asked for a copy of your data yet.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Ask for a copy of your data").click()
    expect(page.get_by_text("We are preparing a copy of your data")).to_be_visible()
    assert_accessible(page)

    # The email names the event and links to the portal; nothing of the claim.
    email = notification_email(_sent_email(patient))
    assert email.subject.endswith("Your copy of your data is ready")
    assert claim.reference not in email.body
    link = urlsplit(re.search(r"https?://\S+", email.body).group(0))
    page.goto(f"{live_server.url}{link.path}?{link.query}")  # SITE_URL is not the live server
    expect(page.get_by_text("Your copy of your data is ready").first).to_be_visible()

    page.goto(f"{live_server.url}/privacy/your-data/")
    expect(page.get_by_text("Ready to download")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as downloaded:
        page.get_by_role("link", name=re.compile("Download your copy")).click()
    assert downloaded.value.suggested_filename.startswith("your-data-")
    archive = zipfile.ZipFile(io.BytesIO(downloaded.value.path().read_bytes()))
    names = archive.namelist()
    assert f"records/claims/{claim.reference}.json" in names
    pdf = archive.read(f"documents/{claim.reference}/001 discharge.pdf")
    assert hashlib.sha256(pdf).hexdigest() == document.sha256
    manifest = json.loads(archive.read("manifest.json"))["files"]
    assert {entry["path"] for entry in manifest} == set(names) - {"manifest.json"}

    export = ExportRequest.objects.get(patient=patient)
    assert export.state == ExportState.READY
    objects.delete_quietly(export.storage_key)
    objects.delete_quietly(document.storage_key)
