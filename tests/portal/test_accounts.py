"""Sign-up, verification, login, rate limits, staff MFA and session lifetimes, from outside."""

import re
import time
from urllib.parse import urlencode

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client
from django.urls import reverse

from portal.middleware import SESSION_LAST_SEEN_KEY, SESSION_STARTED_KEY
from portal.models import AuditAction, AuditEvent, Role, User
from tests.factories import (
    PASSWORD,
    AdjusterFactory,
    AdministratorFactory,
    CoverageFactory,
    UserFactory,
    enrol_totp,
)

pytestmark = pytest.mark.django_db

SIGNUP_URL = reverse("account_signup")
LOGIN_URL = reverse("account_login")


def _sign_up(client: Client, email: str, role: str = "patient", **extra):
    return client.post(
        SIGNUP_URL,
        {
            "email": email,
            "full_name": "Jo Bloggs",
            "role": role,
            "password1": PASSWORD,
            "password2": PASSWORD,
            **extra,
        },
    )


def _confirmation_link(message) -> str:
    return re.search(r"https?://[^/]+(/accounts/confirm-email/[^\s]+/)", message.body).group(1)


def _current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def totp_secret_of(user: User) -> str:
    """`user`'s TOTP secret, enrolling them first when they have none."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    return decrypt(existing.data["secret"]) if existing else enrol_totp(user)


def sign_in(client: Client, user: User) -> None:
    """Sign in as a person does: password, then a code when their role needs a second factor."""
    secret = totp_secret_of(user) if user.requires_mfa else None
    client.post(LOGIN_URL, {"login": user.email, "password": PASSWORD})
    if secret:
        client.post(reverse("mfa_authenticate"), {"code": _current_code(secret)})


def test_patient_signs_up_confirms_email_and_signs_in(client):
    response = _sign_up(client, "Jo@Example.org")

    assert response.status_code == 302
    user = User.objects.get(email="jo@example.org")
    assert user.role == Role.PATIENT
    assert user.full_name == "Jo Bloggs"
    assert len(mail.outbox) == 1
    link = _confirmation_link(mail.outbox[0])

    # Not yet confirmed: signing in leads to the "verify your email" page, not the dashboard.
    response = client.post(LOGIN_URL, {"login": "jo@example.org", "password": PASSWORD})
    assert response.headers["Location"] != reverse("dashboard")

    assert client.post(link).status_code == 302
    response = client.post(LOGIN_URL, {"login": "jo@example.org", "password": PASSWORD})
    assert response.headers["Location"] == reverse("dashboard")
    dashboard = client.get(reverse("dashboard"))
    assert "You have no claims yet." in dashboard.content.decode()


def test_advocate_signs_up_unverified(client):
    _sign_up(client, "solicitor@example.org", role="advocate")

    advocate = User.objects.get(email="solicitor@example.org")
    assert advocate.role == Role.ADVOCATE
    assert advocate.advocate_verified_at is None
    assert not advocate.is_verified_advocate


@pytest.mark.parametrize("role", ["adjuster", "triage_lead", "administrator"])
def test_sign_up_refuses_staff_roles_sent_by_form_tampering(client, role):
    response = _sign_up(client, "sneaky@example.org", role=role, is_staff="on")

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not User.objects.filter(email="sneaky@example.org").exists()


def test_sign_up_with_a_registered_email_looks_the_same_as_a_new_one(client):
    existing = UserFactory(email="taken@example.org")

    taken = _sign_up(client, "taken@example.org")
    fresh = _sign_up(Client(), "fresh@example.org")

    assert taken.status_code == fresh.status_code == 302
    assert taken.headers["Location"] == fresh.headers["Location"]
    # The owner of the address is told by email instead of the person at the keyboard.
    assert any(existing.email in message.to for message in mail.outbox)
    assert User.objects.filter(email="taken@example.org").count() == 1


class CountingHasher(MD5PasswordHasher):
    """The test suite's fast hasher, counting the passwords it hashes."""

    algorithm = "counting_md5"
    hashed = 0

    def encode(self, password, salt):
        CountingHasher.hashed += 1
        return super().encode(password, salt)


def _hashes_during_sign_up(email: str) -> int:
    CountingHasher.hashed = 0
    assert _sign_up(Client(), email).status_code == 302
    return CountingHasher.hashed


def test_sign_up_does_the_same_hashing_whether_or_not_the_address_is_registered(settings):
    # The expensive step of a new account is hashing its password; a registered address used
    # to skip it, so the answer came 20 times faster and told who has an account.
    settings.PASSWORD_HASHERS = ["tests.portal.test_accounts.CountingHasher"]
    UserFactory(email="taken@example.org")
    sent_before = len(mail.outbox)

    taken = _hashes_during_sign_up("taken@example.org")
    fresh = _hashes_during_sign_up("fresh@example.org")

    assert taken == fresh == 1
    assert len(mail.outbox) - sent_before == 2  # one email each: "already registered", "confirm"


def test_password_reset_answers_the_same_for_unknown_and_known_emails(client):
    UserFactory(email="known@example.org")
    url = reverse("account_reset_password")

    known = client.post(url, {"email": "known@example.org"})
    unknown = Client().post(url, {"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]


def test_password_reset_email_lets_the_patient_choose_a_new_password(client):
    user = UserFactory(email="forgetful@example.org")
    client.post(reverse("account_reset_password"), {"email": user.email})
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/[^\s]+/)", mail.outbox[-1].body)

    form_page = client.get(link.group(1), follow=True)
    new_password = "a-brand-new-password-7"
    client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"password1": new_password, "password2": new_password},
    )

    user.refresh_from_db()
    assert user.check_password(new_password)


def test_login_failures_are_rate_limited(client):
    user = UserFactory()
    for _ in range(5):
        client.post(LOGIN_URL, {"login": user.email, "password": "wrong-password"})

    response = client.post(LOGIN_URL, {"login": user.email, "password": PASSWORD})

    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_failure_and_success_and_logout_are_audited(client):
    user = UserFactory()

    client.post(LOGIN_URL, {"login": user.email, "password": "wrong-password"})
    client.post(LOGIN_URL, {"login": user.email, "password": PASSWORD})
    client.post(reverse("account_logout"))

    failed = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert failed.actor is None
    assert failed.detail == {"login": user.email}
    assert failed.ip_address == "127.0.0.1"
    assert AuditEvent.objects.get(action=AuditAction.LOGIN).actor == user
    assert AuditEvent.objects.get(action=AuditAction.LOGOUT).actor == user


def test_a_failed_sign_in_records_the_login_only_when_it_looks_like_an_email_address(client):
    # People type their password into the login field; that must not land in the audit log.
    # The sign-in form asks for an email address, but Django reports failures from any caller.
    authenticate(username="Correct-Horse-Battery-9", password="x")
    client.post(LOGIN_URL, {"login": "jo@example.org", "password": "wrong-password"})

    logins = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).order_by("pk")
    assert [event.detail["login"] for event in logins] == ["", "jo@example.org"]


@pytest.mark.parametrize(
    ("https", "target", "followed"),
    [
        (True, "https://testserver/claims/", True),
        (True, "http://testserver/claims/", False),
        (True, "/claims/", True),
        (False, "http://testserver/claims/", True),
        (False, "https://elsewhere.example/", False),
    ],
)
def test_next_after_sign_in_must_be_https_when_https_is_on(settings, https, target, followed):
    settings.HTTPS = https
    user = UserFactory()

    response = Client().post(
        f"{LOGIN_URL}?{urlencode({'next': target})}",
        {"login": user.email, "password": PASSWORD},
    )

    assert response.status_code == 302
    assert (response.headers["Location"] == target) is followed


def test_staff_without_mfa_are_sent_to_enrol_and_refused_case_pages(client):
    adjuster = AdjusterFactory()
    client.post(LOGIN_URL, {"login": adjuster.email, "password": PASSWORD})

    for url in (
        reverse("dashboard"),
        reverse("insurer_detail", args=[adjuster.insurer_id]),
        reverse("admin:index"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"] == reverse("mfa_index")
    assert AuditEvent.objects.filter(action=AuditAction.MFA_REQUIRED, actor=adjuster).count() == 3


# Transactional: allauth announces the new authenticator once its transaction commits, inside
# the request, as it does in production.
@pytest.mark.django_db(transaction=True)
def test_staff_enrol_in_totp_and_then_reach_their_pages(client):
    adjuster = AdjusterFactory()
    client.post(LOGIN_URL, {"login": adjuster.email, "password": PASSWORD})

    # Enrolling is account-sensitive, so allauth asks for the password once more first.
    response = client.get(reverse("mfa_activate_totp"))
    assert response.headers["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session["mfa.totp.secret"]
    response = client.post(reverse("mfa_activate_totp"), {"code": _current_code(secret)})

    assert response.status_code == 302
    # The code that enrolled counts as this session's second factor: no second code straight away.
    assert client.get(reverse("triage:queue")).status_code == 200
    assert client.get(reverse("insurer_detail", args=[adjuster.insurer_id])).status_code == 200


def test_administrator_without_mfa_cannot_open_the_admin(client):
    admin = AdministratorFactory()
    client.post(LOGIN_URL, {"login": admin.email, "password": PASSWORD})

    response = client.get(reverse("admin:portal_auditevent_changelist"))

    assert response.headers["Location"] == reverse("mfa_index")


def test_staff_with_mfa_need_their_code_to_sign_in(client):
    adjuster = AdjusterFactory()
    secret = enrol_totp(adjuster)

    response = client.post(LOGIN_URL, {"login": adjuster.email, "password": PASSWORD})
    assert response.headers["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("dashboard")).status_code == 302  # not signed in yet

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    client.post(reverse("mfa_authenticate"), {"code": _current_code(secret)})

    assert client.get(reverse("dashboard"), follow=True).status_code == 200


def test_mfa_is_optional_for_patients(client):
    patient = UserFactory()
    client.post(LOGIN_URL, {"login": patient.email, "password": PASSWORD})

    assert client.get(reverse("dashboard"), follow=True).status_code == 200


def _signed_in_patient_client() -> tuple[Client, User]:
    client = Client()
    patient = UserFactory()
    client.post(LOGIN_URL, {"login": patient.email, "password": PASSWORD})
    client.get(reverse("dashboard"))
    return client, patient


def _age_session(client: Client, *, started_ago: float, last_seen_ago: float) -> None:
    session = client.session
    now = time.time()
    session[SESSION_STARTED_KEY] = now - started_ago
    session[SESSION_LAST_SEEN_KEY] = now - last_seen_ago
    session.save()


def test_idle_session_expires_after_thirty_minutes():
    client, patient = _signed_in_patient_client()
    _age_session(client, started_ago=31 * 60, last_seen_ago=31 * 60)

    response = client.get(reverse("dashboard"))

    assert response.status_code == 302
    assert response.headers["Location"].startswith(LOGIN_URL)
    assert client.get(reverse("dashboard")).status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.SESSION_EXPIRED)
    assert event.actor == patient
    assert event.detail == {"reason": "idle_timeout"}


def test_active_session_survives_idle_limit_but_not_absolute_lifetime():
    client, _ = _signed_in_patient_client()
    _age_session(client, started_ago=11 * 3600, last_seen_ago=29 * 60)
    assert client.get(reverse("dashboard"), follow=True).status_code == 200

    _age_session(client, started_ago=12 * 3600 + 60, last_seen_ago=60)
    response = client.get(reverse("dashboard"))

    assert response.status_code == 302
    assert AuditEvent.objects.get(action=AuditAction.SESSION_EXPIRED).detail == {
        "reason": "absolute_lifetime"
    }


def test_session_lifetimes_are_configurable(settings):
    from datetime import timedelta

    settings.SESSION_IDLE_TIMEOUT = timedelta(minutes=5)
    client, _ = _signed_in_patient_client()
    _age_session(client, started_ago=6 * 60, last_seen_ago=6 * 60)

    assert client.get(reverse("dashboard")).status_code == 302


def test_navigation_follows_the_role(client):
    coverage = CoverageFactory()
    adjuster = AdjusterFactory(insurer=coverage.insurer)
    secret = enrol_totp(adjuster)
    client.post(LOGIN_URL, {"login": adjuster.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": _current_code(secret)})

    page = client.get(reverse("dashboard"), follow=True).content.decode()

    assert "My insurer" in page
    assert "Administration" not in page


def test_wrong_second_factor_codes_are_audited(client):
    adjuster = AdjusterFactory()
    enrol_totp(adjuster)
    client.post(LOGIN_URL, {"login": adjuster.email, "password": PASSWORD})

    client.post(reverse("mfa_authenticate"), {"code": "000000"})

    failed = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED, actor=adjuster)
    assert failed.detail == {"second_factor": "totp"}


def test_attempts_refused_by_the_rate_limit_are_audited_too(client):
    user = UserFactory()
    for _ in range(8):
        client.post(LOGIN_URL, {"login": user.email, "password": "wrong-password"})

    failures = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert failures.count() == 8
    assert failures.filter(detail__reason="rate limited").count() == 3


def test_totp_secrets_are_encrypted_at_rest():
    from allauth.mfa.models import Authenticator

    adjuster = AdjusterFactory()
    secret = enrol_totp(adjuster)

    stored = Authenticator.objects.get(user=adjuster).data["secret"]
    assert secret not in stored
    assert _current_code(secret)  # and the portal still checks codes against it:
    client = Client()
    client.post(LOGIN_URL, {"login": adjuster.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": _current_code(secret)})
    assert client.get(reverse("dashboard"), follow=True).status_code == 200


@pytest.mark.parametrize(
    "url_name", ["account_email", "account_change_password", "home", "dashboard"]
)
def test_unenrolled_staff_reach_only_enrolment_pages(client, url_name):
    adjuster = AdjusterFactory()
    client.post(LOGIN_URL, {"login": adjuster.email, "password": PASSWORD})

    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response.headers["Location"] == reverse("mfa_index")


def test_unenrolled_staff_can_still_sign_out(client):
    adjuster = AdjusterFactory()
    client.post(LOGIN_URL, {"login": adjuster.email, "password": PASSWORD})

    client.post(reverse("account_logout"))

    assert "_auth_user_id" not in client.session


def test_behind_a_trusted_proxy_the_audit_log_records_the_clients_address(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    user = UserFactory()

    client.post(
        LOGIN_URL,
        {"login": user.email, "password": "wrong-password"},
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )

    assert AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED).ip_address == "203.0.113.7"


@pytest.fixture
def cache_down(settings):
    # Nothing listens on port 1: every cache call fails to connect, as with Redis stopped.
    working = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    yield
    settings.CACHES = working  # before the shared fixture clears the cache at teardown


@pytest.mark.parametrize(
    ("url_name", "data"),
    [
        ("account_login", {"login": "jo@example.org", "password": PASSWORD}),
        ("account_signup", {"email": "new@example.org", "full_name": "Jo", "role": "patient"}),
        ("account_reset_password", {"email": "jo@example.org"}),
    ],
)
def test_with_the_cache_down_sign_in_sign_up_and_reset_answer_503_try_again(
    cache_down, url_name, data
):
    UserFactory(email="jo@example.org")
    data = {**data, "password1": PASSWORD, "password2": PASSWORD} if "role" in data else data

    response = Client().post(reverse(url_name), data)

    assert response.status_code == 503
    assert "Please try again in a few minutes" in response.content.decode()
    assert response.headers["Retry-After"]


def test_with_the_cache_down_pages_that_do_not_use_it_still_work(cache_down):
    patient = UserFactory()
    client = Client()
    client.force_login(patient)  # signing in needs the cache; being signed in does not

    assert Client().get(reverse("home")).status_code == 200
    assert client.get(reverse("dashboard")).status_code == 200
    assert Client().get(LOGIN_URL).status_code in (200, 503)
