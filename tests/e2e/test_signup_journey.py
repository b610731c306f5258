"""A patient signs up, confirms the email, signs in and sees an empty dashboard."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from portal.models import Role, User
from tests.e2e.browser import sign_in
from tests.factories import PASSWORD as FACTORY_PASSWORD
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-strong-password-for-e2e"


def test_patient_signs_up_confirms_email_and_sees_empty_dashboard(
    live_server, page, assert_accessible
):
    page.goto(live_server.url)
    assert_accessible(page)
    page.get_by_role("link", name="Create an account").first.click()

    expect(page).to_have_title(re.compile("Create an account"))
    assert_accessible(page)
    page.get_by_label("Email").fill("robin@example.org")
    page.get_by_label("Full name").fill("Robin Ellis")
    page.get_by_label("Patient", exact=True).check()
    page.get_by_label("Create a password", exact=True).fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("button", name="Create an account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Verify your email address")
    assert User.objects.get(email="robin@example.org").role == Role.PATIENT
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()

    page.goto(f"{live_server.url}/accounts/login/")
    assert_accessible(page)
    page.get_by_label("Email").fill("robin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your claims")
    expect(page.get_by_text("You have no claims yet.")).to_be_visible()
    assert_accessible(page)


def test_sign_up_errors_are_summarised_and_linked_to_their_fields(
    live_server, page, assert_accessible
):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Full name").fill("Robin Ellis")
    page.get_by_label("Create a password", exact=True).fill(PASSWORD)
    page.get_by_label("Type the password again").fill("a-different-password")
    # The browser's own checks would stop a person here; skip them to test the server's.
    page.eval_on_selector("form[action$='/signup/']", "form => form.noValidate = true")
    page.get_by_role("button", name="Create an account").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    summary.get_by_role("link").first.click()
    expect(page.locator("#id_email")).to_be_focused()
    expect(page.locator("#id_email")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


def test_a_patient_adds_a_passkey_on_account_security_and_signs_in_with_it(
    live_server, page, assert_accessible
):
    user = UserFactory(email="kim@example.org")
    # Chromium's own virtual authenticator stands in for a phone or security key.
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    sign_in(page, live_server, user)

    page.get_by_role("link", name="Your account").click()
    assert_accessible(page)
    page.locator(f"a[href='{reverse('mfa_add_webauthn')}']").click()
    page.get_by_label("Password").fill(FACTORY_PASSWORD)  # allauth asks again before a change
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label(
        re.compile("sign in without a password")
    ).check()  # a passkey: signs in on its own
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("Security key added")).to_be_visible()
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.WEBAUTHN).exists()

    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your claims")
