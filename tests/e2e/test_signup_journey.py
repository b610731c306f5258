"""A patient signs up, confirms the email, signs in and sees an empty dashboard."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from portal.models import Role, User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-strong-password-for-e2e"


def test_patient_signs_up_confirms_email_and_sees_empty_dashboard(
    live_server, page, assert_accessible
):
    page.goto(live_server.url)
    assert_accessible(page)
    page.get_by_role("link", name="Create an account").first.click()

    expect(page).to_have_title(re.compile("Signup"))
    assert_accessible(page)
    page.get_by_label("Email").fill("robin@example.org")
    page.get_by_label("Full name").fill("Robin Ellis")
    page.get_by_label("Patient", exact=True).check()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Verify Your Email"))
    assert User.objects.get(email="robin@example.org").role == Role.PATIENT
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()

    page.goto(f"{live_server.url}/accounts/login/")
    assert_accessible(page)
    page.get_by_label("Email").fill("robin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your claims")
    expect(page.get_by_text("You have no claims yet.")).to_be_visible()
    assert_accessible(page)


def test_sign_up_errors_are_summarised_and_linked_to_their_fields(
    live_server, page, assert_accessible
):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Full name").fill("Robin Ellis")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill("a-different-password")
    # The browser's own checks would stop a person here; skip them to test the server's.
    page.eval_on_selector("form[action$='/signup/']", "form => form.noValidate = true")
    page.get_by_role("button", name="Sign Up").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    summary.get_by_role("link").first.click()
    expect(page.locator("#id_email")).to_be_focused()
    expect(page.locator("#id_email")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
