"""The demo data `make run` seeds: safe to run again, and the demo advocate acts for the demo
patient."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.urls import reverse

from demo.services import seed_demo_data
from intake import access
from intake.models import Authority, Claim, ClaimStatus
from portal.demo_credentials import DEMO_ACCOUNTS, DEMO_EMAILS, DEMO_PASSWORD, DEMO_TOTP_SECRET
from portal.models import User
from tests.factories import PASSWORD, AdjusterFactory

pytestmark = pytest.mark.django_db


def test_the_seed_can_run_twice_and_the_demo_advocate_follows_the_demo_patients_claim():
    seed_demo_data()
    seed_demo_data()

    patient = User.objects.get(email="patient@example.com")
    advocate = User.objects.get(email="advocate@example.com")
    (claim,) = Claim.objects.filter(claimant=patient)
    assert claim.status == ClaimStatus.SUBMITTED and claim.reference
    assert Authority.objects.in_force().filter(patient=patient, advocate=advocate).count() == 1
    assert list(access.claims_visible_to(advocate)) == [claim]
    assert access.claim_advocate_may(advocate, claim, "receives_updates")


def _demo_sign_in(client: Client, email: str):
    """Password, then the demo TOTP code, as the README tells a developer to do."""
    response = client.post(reverse("account_login"), {"login": email, "password": DEMO_PASSWORD})
    if response.headers.get("Location") == reverse("mfa_authenticate"):
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(time.time()) // 30))
        response = client.post(reverse("mfa_authenticate"), {"code": code})
    return response


def test_every_demo_account_that_needs_a_second_factor_has_the_demo_totp(settings):
    settings.DEBUG = True
    seed_demo_data()

    for account in DEMO_ACCOUNTS:
        user = User.objects.get(email=account.email)
        enrolled = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        assert enrolled == user.requires_mfa, account.email
    assert User.objects.get(email="advocate@example.com").requires_mfa

    client = Client()
    _demo_sign_in(client, "advocate@example.com")
    assert client.get(reverse("dashboard")).status_code == 200


def test_with_debug_off_demo_accounts_cannot_sign_in(settings):
    seed_demo_data()
    settings.DEBUG = False

    for email in ("patient@example.com", "advocate@example.com", "admin@example.com"):
        client = Client()
        response = _demo_sign_in(client, email)
        assert response.headers["Location"] == reverse("account_login"), email
        assert "_auth_user_id" not in client.session, email
        page = client.get(reverse("account_login")).content.decode()
        assert "Demo accounts can only sign in on a developer machine" in page


def test_with_debug_off_the_demo_totp_secret_does_not_sign_anyone_in(settings):
    settings.DEBUG = False
    adjuster = AdjusterFactory()
    TOTP.activate(adjuster, DEMO_TOTP_SECRET)
    client = Client()

    client.post(reverse("account_login"), {"login": adjuster.email, "password": PASSWORD})
    code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(time.time()) // 30))
    client.post(reverse("mfa_authenticate"), {"code": code})

    assert "_auth_user_id" not in client.session


def test_check_deploy_fails_while_demo_credentials_exist_and_debug_is_off(settings):
    seed_demo_data()
    settings.DEBUG = False

    with pytest.raises(SystemCheckError, match=r"portal\.E002.*advocate@example\.com"):
        call_command("check", "--deploy", "--fail-level", "ERROR")

    for user in User.objects.filter(email__in=DEMO_EMAILS):
        user.email = f"renamed-{user.pk}@example.org"
        user.save(update_fields=["email"])
    # Renamed, they still hold the published TOTP secret.
    with pytest.raises(SystemCheckError, match=r"portal\.E002.*renamed-"):
        call_command("check", "--deploy", "--fail-level", "ERROR")

    Authenticator.objects.filter(type=Authenticator.Type.TOTP).delete()
    # What remains are Django's own deployment warnings for this test's settings, not errors.
    call_command("check", "--deploy", "--fail-level", "ERROR")
