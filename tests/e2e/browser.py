"""Steps every browser journey shares."""

import re
import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import expect

from tests.factories import PASSWORD


def sign_in(page, live_server, user, *, totp_secret: str | None = None) -> None:
    """Sign in through the login page, and the two-factor page for roles that need one (staff
    and advocates): pass the secret `enrol_totp` returned."""
    assert totp_secret or not user.requires_mfa, f"{user.role} signs in with a TOTP secret"
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    if totp_secret:
        code = format_hotp_value(hotp_value(totp_secret, int(time.time()) // 30))
        page.get_by_label("Code").fill(code)
        page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).not_to_have_url(re.compile("/accounts/"))
