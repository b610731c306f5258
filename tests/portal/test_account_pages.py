"""allauth's pages in the portal's words, the account page, and an invitation that survives
sign-up, driven from outside with the Django client."""

import datetime
import html
import re
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from intake.advocates.invitations import invitation_token
from intake.models import Authority
from portal.models import AuditAction, AuditEvent, Role, User
from tests.factories import (
    PASSWORD,
    AdjusterFactory,
    AuthorityFactory,
    UserFactory,
    enrol_totp,
)

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("account_login")
SIGNUP_URL = reverse("account_signup")
US_SPELLINGS = ("finalize", "authorize", "color", "recognize", "organization", "Signup")
# Words that keep a capital inside a sentence-case heading.
PROPER_WORDS = {"I", "QR"}


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _sign_in(client: Client, user: User, *, secret: str | None = None) -> None:
    client.post(LOGIN_URL, {"login": user.email, "password": PASSWORD})
    if secret:
        client.post(reverse("mfa_authenticate"), {"code": _code(secret)})


def _reauthenticate(client: Client) -> None:
    """allauth asks for the password again before any change to how a person signs in."""
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})


def _h1(content: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", content, re.S)
    assert match, "the page has no <h1>"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def _assert_portal_words(content: str, where: str) -> None:
    heading = _h1(content)
    words = re.findall(r"[A-Za-z][\w'’-]*", heading)
    capitals = [word for word in words[1:] if word[0].isupper() and word not in PROPER_WORDS]
    assert not capitals, f"{where}: Title Case heading {heading!r}"
    for spelling in US_SPELLINGS:
        assert spelling not in content, f"{where}: {spelling!r}"
    assert "This field is required." not in content, where
    assert "Please contact us" not in content, where


def _confirmation_link(message) -> str:
    return re.search(r"https?://[^/]+(/accounts/confirm-email/[^\s]+/)", message.body).group(1)


# --- Errors that name their field --------------------------------------------------------------


def test_an_empty_sign_up_names_each_field_and_the_summary_links_to_it(client):
    response = client.post(SIGNUP_URL, {})

    page = response.content.decode()
    expected = {
        "full_name": "Enter your full name",
        "email": "Enter your email address",
        "role": "Choose whether you are a patient or a patient advocate",
        "password1": "Create a password",
        "password2": "Type the password again",
    }
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    # A choice's link lands on its first option, a box a person can focus.
    targets = {"role": "id_role_0"}
    for field, message in expected.items():
        assert response.context["form"].errors[field] == [message]
        assert f'<a href="#{targets.get(field, f"id_{field}")}">{message}</a>' in summary
        assert f'id="id_{field}_error"' in page
    assert "This field is required." not in page
    assert _h1(page) == "Create an account"
    assert "<title>Error: Create an account" in page


def test_a_malformed_email_address_says_how_to_write_one(client):
    response = client.post(SIGNUP_URL, {"email": "not-an-email"})

    assert response.context["form"].errors["email"] == [
        "Enter an email address in the correct format, like name@example.com"
    ]


def test_an_empty_sign_in_names_the_email_and_password_fields(client):
    response = client.post(LOGIN_URL, {})

    errors = response.context["form"].errors
    assert errors["login"] == ["Enter your email address"]
    assert errors["password"] == ["Enter your password"]
    assert '<a href="#id_login">Enter your email address</a>' in response.content.decode()


def test_a_wrong_password_says_what_to_do(client):
    user = UserFactory()

    response = client.post(LOGIN_URL, {"login": user.email, "password": "not-it-at-all"})

    assert "The email address or the password is not right. Check them and try again." in (
        response.content.decode()
    )


# --- Every page in sentence case and British English -------------------------------------------

ANONYMOUS_PAGES = [
    ("account_login", {}),
    ("account_signup", {}),
    ("account_reset_password", {}),
    ("account_reset_password_done", {}),
    ("account_reset_password_from_key_done", {}),
    ("account_inactive", {}),
    ("account_confirm_email", {"key": "not-a-real-key"}),
    ("account_reset_password_from_key", {"uidb36": "zz", "key": "not-a-real-key"}),
]
SIGNED_IN_PAGES = [
    "account_overview",
    "account_name",
    "account_email",
    "account_change_password",
    "account_logout",
    "account_reauthenticate",
    "mfa_index",
    "mfa_activate_totp",
    "mfa_add_webauthn",
    "mfa_list_webauthn",
    "usersessions_list",
]
ENROLLED_PAGES = [
    "mfa_index",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_reauthenticate",
    "account_overview",
]
TEMPLATES_WITHOUT_A_URL = [
    "account/signup_closed.html",
    "account/verification_sent.html",
    "account/verified_email_required.html",
    "account/password_set.html",
]


@pytest.mark.parametrize(("url_name", "kwargs"), ANONYMOUS_PAGES)
def test_pages_before_sign_in_speak_in_sentence_case_and_british_english(client, url_name, kwargs):
    response = client.get(reverse(url_name, kwargs=kwargs), follow=True)

    assert response.status_code == 200
    _assert_portal_words(response.content.decode(), url_name)


def test_signed_in_pages_speak_in_sentence_case_and_british_english(client):
    _sign_in(client, UserFactory())
    _reauthenticate(client)

    for url_name in SIGNED_IN_PAGES:
        response = client.get(reverse(url_name))
        assert response.status_code == 200, url_name
        _assert_portal_words(response.content.decode(), url_name)


def test_two_factor_pages_speak_in_sentence_case_and_british_english(client):
    user = UserFactory()
    secret = enrol_totp(user)
    _sign_in(client, user, secret=secret)
    _reauthenticate(client)
    client.post(reverse("mfa_generate_recovery_codes"))

    for url_name in ENROLLED_PAGES:
        response = client.get(reverse(url_name))
        assert response.status_code == 200, url_name
        _assert_portal_words(response.content.decode(), url_name)
    sign_in_code = Client().post(LOGIN_URL, {"login": user.email, "password": PASSWORD})
    assert sign_in_code.headers["Location"] == reverse("mfa_authenticate")


def test_the_second_factor_page_at_sign_in_speaks_in_the_portals_words():
    user = UserFactory()
    enrol_totp(user)
    client = Client()
    client.post(LOGIN_URL, {"login": user.email, "password": PASSWORD})

    response = client.post(reverse("mfa_authenticate"), {"code": ""})

    page = response.content.decode()
    _assert_portal_words(page, "mfa_authenticate")
    assert '<a href="#id_code">Enter the 6-digit code from your authenticator app</a>' in page


@pytest.mark.parametrize("template", TEMPLATES_WITHOUT_A_URL)
def test_pages_reached_only_on_the_way_speak_in_the_portals_words(template):
    request = RequestFactory().get("/")
    request.user = UserFactory()

    content = render_to_string(template, {"form": None}, request=request)

    _assert_portal_words(content, template)


def test_pages_that_said_please_contact_us_give_the_services_contact_details(client, settings):
    settings.SERVICE_CONTACT_EMAIL = "desk@portal.example"
    settings.SERVICE_CONTACT_PHONE = "0300 999 0000"

    for url_name in ("account_reset_password", "account_reset_password_done"):
        page = client.get(reverse(url_name)).content.decode()
        assert 'href="mailto:desk@portal.example"' in page, url_name
        assert "0300 999 0000" in page, url_name


def test_messages_after_sign_in_are_in_the_portals_words(client):
    user = UserFactory(full_name="Jo Bloggs")

    response = client.post(LOGIN_URL, {"login": user.email, "password": PASSWORD}, follow=True)

    page = response.content.decode()
    assert "You are signed in as Jo Bloggs." in page
    assert "Successfully signed in" not in page


# --- An invitation survives sign-up ------------------------------------------------------------


# Transactional: allauth announces the new authenticator once its transaction commits, and the
# portal counts that as the session's second factor.
@pytest.mark.django_db(transaction=True)
def test_an_advocate_invited_by_email_signs_up_and_lands_back_on_the_invitation(client):
    authority = AuthorityFactory(
        advocate=None,
        invited_email="sol@example.org",
        accepted_at=None,
        invitation_expires_at=timezone.now() + datetime.timedelta(days=14),
    )
    invitation = reverse("intake:authority_accept", args=[invitation_token(authority)])

    # Signed out, the invitation offers sign-up with `next`, as its page links it.
    assert client.get(invitation).status_code == 200
    client.post(
        SIGNUP_URL,
        {
            "full_name": "Sol Icitor",
            "email": "sol@example.org",
            "role": Role.ADVOCATE,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": invitation,
        },
    )
    confirmed = client.post(_confirmation_link(mail.outbox[-1]))
    # The confirmation link arrives without `next`: the portal remembered it.
    assert confirmed.headers["Location"].startswith(LOGIN_URL)
    next_url = re.search(r"next=([^&]+)", confirmed.headers["Location"]).group(1)

    signed_in = client.post(
        confirmed.headers["Location"], {"login": "sol@example.org", "password": PASSWORD}
    )
    assert signed_in.headers["Location"] == invitation, next_url
    # An advocate needs a second factor first: enrol, then carry on to the invitation.
    assert client.get(invitation).headers["Location"] == reverse("mfa_index")
    _reauthenticate(client)
    activate = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = re.search(r'id="authenticator_secret" value="([A-Z0-9]+)"', activate).group(1)
    enrolled = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)}, follow=True)
    assert reverse("account_continue") in enrolled.content.decode()

    continued = client.get(reverse("account_continue"), follow=True)

    assert continued.redirect_chain[-1][0] == invitation
    assert "Accept and act for them" in continued.content.decode()
    client.post(invitation)
    authority.refresh_from_db()
    assert authority.advocate.email == "sol@example.org"
    assert authority.accepted_at is not None
    # Once used, the remembered page is gone: the next sign-in goes to the dashboard.
    assert reverse("account_continue") not in client.get(reverse("mfa_index")).content.decode()


def test_a_patient_who_signs_up_from_a_page_lands_on_it_after_confirming(client):
    target = reverse("intake:authorities")
    client.post(
        SIGNUP_URL,
        {
            "full_name": "Pat Ient",
            "email": "pat@example.org",
            "role": Role.PATIENT,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": target,
        },
    )
    confirmed = client.post(_confirmation_link(mail.outbox[-1]))

    signed_in = client.post(
        confirmed.headers["Location"], {"login": "pat@example.org", "password": PASSWORD}
    )

    assert signed_in.headers["Location"] == target
    # Used once: a later sign-in goes to the dashboard.
    client.post(reverse("account_logout"))
    again = client.post(LOGIN_URL, {"login": "pat@example.org", "password": PASSWORD})
    assert again.headers["Location"] == reverse("dashboard")


def test_a_next_to_another_site_is_not_remembered(client):
    client.post(
        SIGNUP_URL,
        {
            "full_name": "Pat Ient",
            "email": "pat@example.org",
            "role": Role.PATIENT,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": "https://evil.example/phish",
        },
    )
    confirmed = client.post(_confirmation_link(mail.outbox[-1]))

    assert confirmed.headers["Location"] == LOGIN_URL


# --- The account page --------------------------------------------------------------------------


def test_the_account_page_shows_name_email_password_factors_and_sessions(client):
    user = UserFactory(full_name="Jo Bloggs", email="jo@example.org")
    _sign_in(client, user)

    page = client.get(reverse("account_overview")).content.decode()

    assert _h1(page) == "Your account"
    assert "Jo Bloggs" in page and "jo@example.org" in page
    for url_name in (
        "account_name",
        "account_email",
        "account_change_password",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "mfa_index",
    ):
        assert f'href="{reverse(url_name)}"' in page, url_name
    assert "This browser" in page
    assert "You are signed in only in this browser." in page


def test_the_navigation_links_to_your_account(client):
    _sign_in(client, UserFactory())

    page = client.get(reverse("dashboard")).content.decode()

    assert f'<a href="{reverse("account_overview")}">Your account</a>' in page
    assert "Account security" not in page


def test_a_name_change_names_an_empty_answer_and_is_audited(client):
    user = UserFactory(full_name="Jo Bloggs")
    _sign_in(client, user)

    empty = client.post(reverse("account_name"), {"full_name": "  "})
    assert '<a href="#id_full_name">Enter your full name</a>' in empty.content.decode()

    changed = client.post(reverse("account_name"), {"full_name": "Jo Bloggs-Smith"})

    assert changed.headers["Location"] == reverse("account_overview")
    user.refresh_from_db()
    assert user.full_name == "Jo Bloggs-Smith"
    event = AuditEvent.objects.get(action=AuditAction.CHANGE, object_type="portal.user")
    assert event.actor == user
    assert event.detail == {"field": "full_name"}


def test_an_email_change_takes_effect_only_once_the_new_address_is_confirmed(client):
    user = UserFactory(email="old@example.org")
    _sign_in(client, user)

    response = client.post(reverse("account_email"), {"action_add": "", "email": "new@example.org"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "old@example.org"  # not yet: the new address must be confirmed
    message = mail.outbox[-1]
    assert message.to == ["new@example.org"]
    overview = client.get(reverse("account_overview")).content.decode()
    assert "Changing to new@example.org" in overview

    confirmed = client.post(_confirmation_link(message))

    assert confirmed.headers["Location"] == reverse("account_overview")
    user.refresh_from_db()
    assert user.email == "new@example.org"
    assert not EmailAddress.objects.filter(user=user, email="old@example.org").exists()
    assert any(m.to == ["old@example.org"] for m in mail.outbox)  # the old address is told


def test_an_empty_email_change_names_the_field(client):
    _sign_in(client, UserFactory())

    response = client.post(reverse("account_email"), {"action_add": "", "email": ""})

    assert '<a href="#id_email">Enter the new email address</a>' in response.content.decode()


def test_sign_out_everywhere_else_ends_the_other_sessions(client):
    user = UserFactory()
    other = Client()
    _sign_in(client, user)
    _sign_in(other, user)
    assert other.get(reverse("dashboard")).status_code == 200
    page = client.get(reverse("account_overview")).content.decode()
    assert "Sign out everywhere else" in page

    response = client.post(reverse("usersessions_list"), follow=True)

    assert "You have been signed out everywhere else." in response.content.decode()
    assert other.get(reverse("dashboard")).headers["Location"].startswith(LOGIN_URL)
    assert client.get(reverse("dashboard")).status_code == 200  # this one stays signed in


def test_staff_before_enrolment_are_sent_from_the_account_page_to_enrol(client):
    adjuster = AdjusterFactory()
    client.post(LOGIN_URL, {"login": adjuster.email, "password": PASSWORD})

    response = client.get(reverse("account_overview"))

    assert response.headers["Location"] == reverse("mfa_index")
    assert Authority.objects.count() == 0
