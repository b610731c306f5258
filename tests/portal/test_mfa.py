"""The second factor cannot be skipped: enrolment means an authenticator app or a passkey, a
session counts only once it has passed one, and the admin cannot be used to fake either."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse

from portal.models import AuditAction, AuditEvent, User
from tests.factories import (
    PASSWORD,
    AdministratorFactory,
    AdvocateFactory,
    ClaimFactory,
    CoverageFactory,
    UserFactory,
    enrol_totp,
)
from tests.portal.test_accounts import LOGIN_URL, _current_code, sign_in

pytestmark = pytest.mark.django_db

ENROL_URL = reverse("mfa_index")
VERIFY_URL = reverse("mfa_reauthenticate")


def _password_only(user: User) -> Client:
    """A session that passed the password alone (possible only while `user` had no factor)."""
    client = Client()
    client.post(LOGIN_URL, {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" in client.session
    return client


def _admin_urls(superuser: User) -> list[str]:
    """Every URL the admin site answers, with real object ids where a pattern takes one."""
    ClaimFactory(claimant=UserFactory())
    CoverageFactory()
    RecoveryCodes.activate(UserFactory())  # so the Authenticator admin has a row to show
    urls = []
    for pattern, model in _admin_patterns(admin.site.get_urls(), model=None):
        kwargs = _kwargs(pattern, model, superuser)
        if kwargs is not None:
            urls.append(reverse(f"admin:{pattern.name}", kwargs=kwargs))
    assert len(urls) > 50  # every registered model's pages, not just the index
    return urls


def _admin_patterns(patterns, *, model):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            # Each model admin's own URLs sit under one include() of model_admin.urls.
            owner = next(
                (m for m, ma in admin.site._registry.items() if ma.urls == entry.url_patterns),
                model,
            )
            yield from _admin_patterns(entry.url_patterns, model=owner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield entry, model


def _kwargs(pattern: URLPattern, model, superuser: User) -> dict | None:
    """The URL's arguments, or None for an object-specific page of a model with no row yet (an
    admin's own view such as "<uuid:export_id>/extend/")."""
    kwargs = {}
    for name in pattern.pattern.converters:
        if name in ("object_id", "id"):
            instance = model._default_manager.first() if model else superuser
            kwargs[name] = str(instance.pk)
        elif name.endswith("_id"):
            instance = model._default_manager.first() if model else None
            if instance is None:
                return None
            kwargs[name] = str(instance.pk)
        elif name == "content_type_id":
            kwargs[name] = ContentType.objects.get_for_model(User).pk
        elif name == "app_label":
            kwargs[name] = "portal"
        else:
            raise AssertionError(f"no value for {name} in {pattern.pattern}")
    if not pattern.pattern.converters and "(?P<app_label>" in str(pattern.pattern):
        kwargs["app_label"] = "portal"
    return kwargs


def test_the_admin_authenticator_exploit_is_refused_step_by_step():
    superuser = AdministratorFactory()
    client = _password_only(superuser)

    # 1. The admin's own Authenticator pages are not enrolment: they send to enrolment.
    add_url = reverse("admin:mfa_authenticator_add")
    assert client.get(add_url).headers["Location"] == ENROL_URL
    response = client.post(add_url, {"user": superuser.pk, "type": "totp", "data": "{}"})
    assert response.status_code == 302 and response.headers["Location"] == ENROL_URL
    assert not Authenticator.objects.filter(user=superuser).exists()

    # 2. Even a row made some other way, of recovery codes only, is not enrolment.
    RecoveryCodes.activate(superuser)
    for name in ("admin:index", "admin:portal_user_changelist", "admin:mfa_authenticator_add"):
        assert client.get(reverse(name)).headers["Location"] == ENROL_URL, name

    # 3. A TOTP row that appeared while the session was open does not verify that session.
    enrol_totp(superuser)
    response = client.get(reverse("admin:index"))
    assert response.headers["Location"] == f"{VERIFY_URL}?next=%2Fadmin%2F"
    refusals = AuditEvent.objects.filter(action=AuditAction.MFA_REQUIRED, actor=superuser)
    assert refusals.count() == 6


def test_every_admin_url_sends_an_unenrolled_superuser_to_enrol():
    superuser = AdministratorFactory()
    client = _password_only(superuser)

    for url in _admin_urls(superuser):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"] == ENROL_URL, url


def test_every_admin_url_sends_an_enrolled_superuser_without_a_second_factor_to_authenticate():
    superuser = AdministratorFactory()
    client = _password_only(superuser)
    enrol_totp(superuser)

    for url in _admin_urls(superuser):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith(f"{VERIFY_URL}?next="), url


def test_a_superuser_who_passed_totp_reaches_every_admin_page():
    superuser = AdministratorFactory()
    client = Client()
    sign_in(client, superuser)

    for url in _admin_urls(superuser):
        response = client.get(url)
        location = response.headers.get("Location", "")
        assert not location.startswith(("/accounts/2fa/", ENROL_URL)), url
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:mfa_authenticator_changelist")).status_code == 200


def test_re_authenticating_with_a_code_verifies_the_session_and_returns_to_the_page():
    superuser = AdministratorFactory()
    client = _password_only(superuser)
    secret = enrol_totp(superuser)
    target = reverse("admin:portal_user_changelist")
    redirect = client.get(target).headers["Location"]

    assert client.post(redirect, {"code": "000000"}).status_code == 200  # wrong: asked again
    response = client.post(redirect, {"code": _current_code(secret)})

    assert response.headers["Location"] == target
    assert client.get(target).status_code == 200


def test_the_admin_cannot_add_or_change_authenticators_nor_remove_ones_own():
    superuser = AdministratorFactory()
    client = Client()
    sign_in(client, superuser)
    own = Authenticator.objects.get(user=superuser)
    other = Authenticator.objects.get(pk=RecoveryCodes.activate(AdvocateFactory()).instance.pk)

    assert client.get(reverse("admin:mfa_authenticator_add")).status_code == 403
    change = client.post(
        reverse("admin:mfa_authenticator_change", args=[own.pk]), {"type": "webauthn"}
    )
    assert change.status_code == 403
    assert (
        client.post(
            reverse("admin:mfa_authenticator_delete", args=[own.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    own.refresh_from_db()
    assert own.type == Authenticator.Type.TOTP
    # Someone else's lost phone can be removed, so they can enrol again.
    client.post(reverse("admin:mfa_authenticator_delete", args=[other.pk]), {"post": "yes"})
    assert not Authenticator.objects.filter(pk=other.pk).exists()


def test_advocates_must_enrol_by_default_and_roles_are_configurable(settings):
    advocate = AdvocateFactory()
    client = _password_only(advocate)
    assert client.get(reverse("dashboard")).headers["Location"] == ENROL_URL

    settings.MFA_REQUIRED_ROLES = ["adjuster", "triage_lead", "administrator"]
    assert not advocate.requires_mfa
    assert client.get(reverse("dashboard")).status_code == 200
    assert not UserFactory().requires_mfa  # patients choose for themselves
    assert AdministratorFactory().requires_mfa  # anyone who can open the admin, always


def test_unenrolled_people_can_choose_a_passkey_or_an_app_and_sign_out():
    advocate = AdvocateFactory()
    client = _password_only(advocate)

    page = client.get(ENROL_URL).content.decode()
    assert reverse("mfa_add_webauthn") in page and reverse("mfa_activate_totp") in page
    # Adding one asks for the password again first, as allauth does for any change of factor.
    response = client.get(reverse("mfa_add_webauthn"))
    assert response.headers["Location"].startswith(reverse("account_reauthenticate"))
    client.post(response.headers["Location"], {"password": PASSWORD})
    assert client.get(reverse("mfa_add_webauthn")).status_code == 200
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def test_every_role_is_offered_passkeys_and_the_sign_in_page_accepts_one():
    patient = UserFactory()
    client = Client()
    sign_in(client, patient)

    page = client.get(reverse("mfa_index")).content.decode()
    assert reverse("mfa_add_webauthn") in page
    assert reverse("mfa_login_webauthn") in Client().get(LOGIN_URL).content.decode()


def test_a_misspelt_role_in_mfa_required_roles_stops_the_portal_starting(settings):
    settings.MFA_REQUIRED_ROLES = ["adjustr", "administrator"]

    with pytest.raises(SystemCheckError, match=r"portal\.E001.*adjustr"):
        call_command("check")
