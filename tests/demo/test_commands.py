"""The demo's commands, as `make run` and `make totp` call them: only with DEBUG on."""

import io
import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management import call_command
from django.core.management.base import CommandError

from portal.demo_credentials import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_TOTP_SECRET
from portal.models import User

pytestmark = pytest.mark.django_db


def _run(command: str) -> str:
    out = io.StringIO()
    call_command(command, stdout=out)
    return out.getvalue()


def test_seed_demo_creates_every_account_and_prints_the_shared_password(settings):
    settings.DEBUG = True

    output = _run("seed_demo")

    assert DEMO_PASSWORD in output
    for account in DEMO_ACCOUNTS:
        assert account.email in output
        assert User.objects.get(email=account.email).role == account.role


def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="only seeded when DEBUG is on"):
        _run("seed_demo")
    assert not User.objects.filter(email__in=[a.email for a in DEMO_ACCOUNTS]).exists()


def _code(at: float) -> str:
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(at) // 30))


def test_demo_totp_prints_the_current_code_of_the_demo_secret(settings):
    settings.DEBUG = True

    before = time.time()
    output = _run("demo_totp")
    after = time.time()

    # The code of the period the command ran in, whichever side of a period's end it fell.
    assert output.split()[0] in {_code(before), _code(after)}
    assert "more seconds" in output


def test_demo_totp_refuses_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="only shown when DEBUG is on"):
        _run("demo_totp")
