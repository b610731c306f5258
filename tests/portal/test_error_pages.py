"""With DEBUG on (as make run has it), people still see the portal's own error pages."""

import uuid

import pytest
from django.test import Client
from django.urls import include, path


def _broken_view(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [path("broken/", _broken_view), path("", include("config.urls"))]


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True
    settings.DEBUG_PROPAGATE_EXCEPTIONS = True
    settings.ROOT_URLCONF = __name__


def _assert_no_debug_page(response) -> None:
    assert b"NONE,NOARCHIVE" not in response.content
    body = response.content.decode()
    assert "Traceback" not in body
    assert "URLconf" not in body
    assert "DEBUG = True" not in body


@pytest.mark.django_db
def test_unknown_address_shows_the_portal_404_page_with_debug_on(debug_on):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    _assert_no_debug_page(response)


@pytest.mark.django_db
def test_a_view_s_404_shows_the_portal_page_with_debug_on(debug_on, patient):
    client = Client()
    client.force_login(patient)
    response = client.get(f"/claims/{uuid.uuid4()}/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    _assert_no_debug_page(response)


@pytest.mark.django_db
def test_an_uncaught_error_shows_the_portal_500_page_with_debug_on(debug_on, caplog):
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()
    _assert_no_debug_page(response)
    assert "a bug in a view" in caplog.text  # the developer still has the traceback


@pytest.mark.django_db
def test_a_missing_slash_still_redirects_with_debug_on(debug_on):
    response = Client().get("/health")
    assert response.status_code == 301
    assert response["Location"] == "/health/"


@pytest.mark.django_db
def test_a_host_not_served_shows_the_portal_400_page_with_debug_on(debug_on):
    response = Client().get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "could not understand that request" in response.content.decode()
    _assert_no_debug_page(response)


@pytest.mark.django_db
def test_a_form_with_too_many_fields_shows_the_portal_400_page_with_debug_on(debug_on, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    fields = {f"field{number}": "x" for number in range(10)}
    response = Client().post("/accounts/login/", fields)
    assert response.status_code == 400
    _assert_no_debug_page(response)
