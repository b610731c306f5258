"""The account pages in a browser: axe on sign-up (with its errors), sign-in, the account page and
the two-factor page; an invited advocate who signs up lands back on the invitation."""

import datetime
import re
import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from intake.advocates.invitations import invitation_token
from tests.e2e.browser import sign_in
from tests.factories import PASSWORD, AuthorityFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_sign_up_sign_in_account_and_two_factor_pages_pass_axe(
    live_server, page, assert_accessible
):
    page.goto(f"{live_server.url}{reverse('account_signup')}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    assert_accessible(page)
    page.get_by_role("button", name="Create an account").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link", name="Enter your full name")).to_be_visible()
    expect(summary.get_by_role("link", name="Enter your email address")).to_be_visible()
    summary.get_by_role("link", name="Enter your email address").click()
    expect(page.locator("#id_email")).to_be_focused()
    assert_accessible(page)

    page.goto(f"{live_server.url}{reverse('account_login')}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_accessible(page)

    user = UserFactory(full_name="Kim Lee")
    sign_in(page, live_server, user)
    expect(page.get_by_text("You are signed in as Kim Lee.")).to_be_visible()
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_text("This browser", exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="All two-factor settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor authentication")
    assert_accessible(page)


def test_an_invited_advocate_signs_up_and_returns_to_the_invitation(
    live_server, page, assert_accessible
):
    authority = AuthorityFactory(
        advocate=None,
        invited_email="sol@example.org",
        accepted_at=None,
        invitation_expires_at=timezone.now() + datetime.timedelta(days=14),
    )
    invitation = reverse("intake:authority_accept", args=[invitation_token(authority)])
    page.goto(f"{live_server.url}{invitation}")
    page.get_by_role("link", name="Create an advocate account").click()

    page.get_by_label("Full name").fill("Sol Icitor")
    page.get_by_label("Email address").fill("sol@example.org")
    page.get_by_label("Patient advocate").check()
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("button", name="Create an account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify your email address")

    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Email address").fill("sol@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    # An advocate sets up a second factor before anything else, then carries on.
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor authentication")
    page.get_by_role("link", name="Set up an authenticator app").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    assert_accessible(page)
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Code from the app").fill(
        format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    )
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery codes")
    assert_accessible(page)
    page.get_by_role("link", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("asks you to act for them")
    page.get_by_role("button", name="Accept and act for them").click()
    expect(page.get_by_text("You now act for")).to_be_visible()
