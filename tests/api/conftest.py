"""Fixtures for the API's tests: insurers with claims, clients with keys, a DRF test client."""

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from api.models import ApiClient
from api.scopes import SCOPES
from api.services import api_client_create, api_client_key_issue
from intake.models import ClaimStatus
from tests.factories import AdjusterFactory, ClaimFactory, InsurerFactory, TeamFactory


@dataclass
class Connected:
    """A client of an insurer, with its key and a test client sending it."""

    client: ApiClient
    key: str
    http: APIClient


def connect(insurer, scopes=SCOPES) -> Connected:
    client = api_client_create(
        name="Claims system", insurer=insurer, scopes=list(scopes), actor=None
    )
    _row, key = api_client_key_issue(client=client, actor=None)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return Connected(client=client, key=key, http=http)


@pytest.fixture
def insurer(db):
    return InsurerFactory()


@pytest.fixture
def connected(insurer) -> Connected:
    return connect(insurer)


@pytest.fixture
def claim(insurer):
    """A claim of `insurer`, assigned and waiting for acknowledgement."""
    team = TeamFactory(insurer=insurer)
    return ClaimFactory(
        status=ClaimStatus.ASSIGNED,
        insurer=insurer,
        team=team,
        assigned_adjuster=AdjusterFactory(insurer=insurer),
    )


def etag_of(connected: Connected, claim) -> str:
    response = connected.http.get(f"/api/v1/claims/{claim.pk}/")
    assert response.status_code == 200, response.content
    return response["ETag"]
