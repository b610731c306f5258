"""schemathesis against the live schema, through the portal's WSGI app, with a valid key: no
500, every response (status, content type, headers, body) as the schema says. Small and
deterministic (derandomised, a few examples per operation) to stay fast in make test.

Not checked: that every schema-valid request is accepted. The services refuse what a schema
cannot express (a reply-by date in the past, a move the claim's status does not allow) with a
documented problem (409, 412, 422, 428), which that check would count as a failure."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config.wsgi import application
from tests.api.conftest import connect
from tests.factories import ClaimFactory, InsurerFactory

pytestmark = pytest.mark.django_db

KEY = {}


@pytest.fixture
def api_schema(db, insurer, claim):
    # The WSGI app is called in this test's transaction: the per-request connection closing
    # (which Django's own test client also turns off) would end it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        KEY["key"] = connect(insurer).key
        KEY["claim"] = str(claim.pk)
        ClaimFactory(status="under_review", insurer=InsurerFactory())  # another insurer's
        yield schemathesis.openapi.from_wsgi("/api/schema/", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


SETTINGS = settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_the_api_answers_as_its_schema_says(api_schema):
    headers = {"Authorization": f"Api-Key {KEY['key']}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 20  # the claims' resources are all in the schema

    for operation in operations:

        @SETTINGS
        @given(case=operation.as_strategy())
        def check(case):
            if "id" in (case.path_parameters or {}):
                # The client's own claim: random ids only meet the 404 (test_resources has it).
                case.path_parameters["id"] = KEY["claim"]
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        check()


@pytest.mark.urls("tests.api.urls")
def test_the_schema_is_openapi_3_1_and_public(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response.json()["openapi"] == "3.1.0"


@pytest.mark.urls("tests.api.urls")
@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_documentation_pages_load_nothing_from_elsewhere(client, path):
    response = client.get(path)
    page = response.content.decode()
    assert response.status_code == 200
    assert "https://" not in page.replace("https://portal.example", "")
    assert "script-src 'self';" in response["Content-Security-Policy"]
    assert "<script>" not in page  # no inline script: Swagger UI's start-up is a file too
