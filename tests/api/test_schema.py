"""schemathesis against the live schema, through the portal's WSGI app, with a valid key: no
500, every response (status, content type, headers, body) as the schema says, operation by
operation and then along the schema's links (api/schema_links.py) as a state machine: list ->
claim -> its parts and changes with its ETag, and a registered webhook endpoint -> its reads,
changes and deliveries. Small and deterministic (derandomised, a few examples per operation and
a few dozen short scenarios) to stay fast in make test.

Not checked: that every schema-valid request is accepted. The services refuse what a schema
cannot express (a reply-by date in the past, a move the claim's status does not allow) with a
documented problem (409, 412, 422, 428), which that check would count as a failure."""

from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.schema_links import LINKS
from config.wsgi import application
from tests.api.conftest import connect
from tests.api.webhooks_receiver import running_receiver
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


STATEFUL_SETTINGS = settings(
    max_examples=40,
    stateful_step_count=8,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
CLAIMS_LIST = "GET /api/v1/claims/"
REGISTER = "POST /api/v1/webhooks/endpoints/"
CHANGE_ENDPOINT = "PATCH /api/v1/webhooks/endpoints/{id}/"


def test_the_api_answers_as_its_schema_says_along_its_links(api_schema, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
    headers = {"Authorization": f"Api-Key {KEY['key']}"}
    answered: Counter = Counter()

    with running_receiver() as receiver:

        class Linked(api_schema.as_state_machine()):
            def before_call(self, case):
                # An endpoint on the tests' receiver, so registrations succeed and their links
                # are followed (test_webhooks_api has the address rules).
                if case.operation.label == CLAIMS_LIST:
                    # Scenarios start from the whole list (random filters hide the claim; the
                    # test above fuzzes them).
                    case.query = {}
                sends_url = isinstance(case.body, dict) and "url" in case.body
                if case.operation.label in (REGISTER, CHANGE_ENDPOINT) and sends_url:
                    case.body["url"] = receiver.url

            def get_call_kwargs(self, case):
                return {"headers": headers}

            def after_call(self, response, case):
                super().after_call(response, case)
                answered[(case.operation.label, response.status_code)] += 1

            def validate_response(self, response, case, additional_checks=None, **kwargs):
                case.validate_response(
                    response,
                    additional_checks=additional_checks,
                    excluded_checks=[positive_data_acceptance],
                    headers=headers,  # the key is ours, not generated
                    transport_kwargs=kwargs or None,
                    recorder=self.recorder,
                )

        Linked.run(settings=STATEFUL_SETTINGS)

    # The links were followed with real values: a claim's parts reached with its id, a change
    # of a claim and of an endpoint made with the ETag the link passed.
    # Which parts the exploration reaches first varies with the run, so the check is that it
    # reached some, not one by name.
    reached = {label for (label, status), _count in answered.items() if status < 300}
    parts = {label for label in reached if label.startswith("GET /api/v1/claims/{id}/")}
    assert parts - {"GET /api/v1/claims/{id}/"}, answered
    changes = {label for label in reached if label.split()[0] in ("POST", "PATCH")}
    assert changes, answered


def test_every_link_names_operations_of_the_schema(api_schema):
    operations = {result.ok().definition.raw.get("operationId") for result in
                  api_schema.get_all_operations()}  # fmt: skip
    assert len(LINKS) > 50
    assert {link.source for link in LINKS} | {link.target for link in LINKS} <= operations


def test_every_post_takes_an_idempotency_key_and_every_patch_if_match(client):
    schema = client.get("/api/schema/?format=json").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            required = {
                parameter["name"]
                for parameter in operation.get("parameters", [])
                if parameter["in"] == "header" and parameter.get("required")
            }
            if method == "post":
                assert "Idempotency-Key" in required, path
            if method == "patch":
                assert "If-Match" in required, path
                assert {"412", "428"} <= set(operation["responses"]), path


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


@pytest.mark.parametrize("path", ["/api/v1/claims/not-a-uuid/", "/api/v2/claims/"])
def test_an_address_that_names_nothing_is_a_problem_not_a_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert "schema" in response.json()["detail"]
