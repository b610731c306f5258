"""A patient driving the portal over plain HTTP, as a browser without JavaScript would: sign in,
file a claim through every question page, send documents, read the case page.

Used by the whole-portal tests (tests/integration/test_whole_portal.py) and by the load
benchmark (bench/locustfile.py), whose client is a requests.Session too. Every method returns
the last response; `failures` collects each answer a person would call broken (a 5xx, or a page
that did not lead where it should), with what was asked.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests

from tests.date_input_posts import date_parts

#: Providers the demo data covers (demo/services.py); each claim is filed against one of them.
COVERED_PROVIDER_SEARCH = "Riverside"


class _FormReader(HTMLParser):
    """Collects the inputs of a page's forms: names, types, values and the first option."""

    def __init__(self):
        super().__init__()
        self.csrf_token = ""
        self.choices: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name") or ""
        if tag != "input" or not name:
            return
        if name == "csrfmiddlewaretoken":
            self.csrf_token = attributes.get("value") or ""
        elif attributes.get("type") in ("radio", "checkbox"):
            self.choices.setdefault(name, []).append(attributes.get("value") or "on")


def read_form(html: str) -> _FormReader:
    reader = _FormReader()
    reader.feed(html)
    return reader


@dataclass
class HttpPatient:
    session: requests.Session
    base_url: str
    email: str
    password: str
    #: Sent as X-Forwarded-For, for a portal that trusts one proxy (TRUSTED_PROXY_COUNT=1).
    address: str = "127.0.0.1"
    failures: list[str] = field(default_factory=list)

    # --- plumbing ---------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return urljoin(self.base_url, path) if self.base_url else path

    def get(self, path: str, **kwargs) -> requests.Response:
        return self._checked("GET", path, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> requests.Response:
        return self._checked("POST", path, data=data, **kwargs)

    def _checked(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"X-Forwarded-For": self.address, **kwargs.pop("headers", {})}
        response = self.session.request(
            method, self._url(path), headers=headers, timeout=120, **kwargs
        )
        if response.status_code >= 500:
            self.failures.append(f"{method} {path} answered {response.status_code}")
        return response

    def _form_post(self, path: str, answers: dict, **kwargs) -> requests.Response:
        """GET the page, take its CSRF token, POST the answers; follow the redirect."""
        page = self.get(path)
        token = read_form(page.text).csrf_token
        return self.post(path, {"csrfmiddlewaretoken": token, **answers}, **kwargs)

    def _expect(self, response: requests.Response, pattern: str, what: str) -> bool:
        if response.status_code < 500 and not re.search(pattern, response.url):
            self.failures.append(
                f"{what}: expected a page matching {pattern!r}, got {response.status_code} "
                f"at {response.url}"
            )
            return False
        return response.status_code < 500

    # --- journeys ---------------------------------------------------------------------------

    def sign_in(self) -> bool:
        response = self._form_post(
            "/accounts/login/", {"login": self.email, "password": self.password}
        )
        return self._expect(response, r"/dashboard/$", f"signing in as {self.email}")

    def file_claim(self, *, incident_date: str) -> str | None:
        """File a claim through every question page; returns its id once sent, else None.
        A new `incident_date` (YYYY-MM-DD, before 2025-04-01) for each of one patient's claims
        keeps them apart for the duplicate check."""
        response = self._form_post("/claims/new/", {})
        match = re.search(r"/claims/([0-9a-f-]{36})/answers/", response.url)
        if not match:
            self.failures.append(f"starting a claim led to {response.status_code} {response.url}")
            return None
        claim_id = match.group(1)
        for slug, answers in self._answers(claim_id, incident_date):
            response = self._form_post(f"/claims/{claim_id}/answers/{slug}/", answers)
            if f"/answers/{slug}/" in response.url:
                self.failures.append(f"page {slug} refused the answers: {response.status_code}")
                return None
        response = self._form_post(f"/claims/{claim_id}/check-answers/", {})
        if not self._expect(response, r"/submitted/$", "sending the claim"):
            return None
        return claim_id

    def _answers(self, claim_id: str, incident_date: str):
        yield (
            "about-you",
            {
                **date_parts("date_of_birth", "1984-05-17"),
                "phone": "01632 960001",
                "address": "12 Mill Lane\nLeeds",
            },
        )
        providers = self.get(
            f"/claims/{claim_id}/answers/provider/", params={"q": COVERED_PROVIDER_SEARCH}
        )
        provider = read_form(providers.text).choices.get("provider", [""])[0]
        yield "provider", {"provider": provider}
        yield (
            "what-happened",
            {
                **date_parts("incident_date", incident_date),
                **date_parts("knowledge_date", "2025-04-01"),
                "harm_category": "surgical",
                "description": "A swab was left inside after my operation.",
            },
        )
        yield (
            "the-harm",
            {"severity": "moderate", "injuries": "An infection.", "ongoing_treatment": "yes"},
        )
        yield "losses", {}
        yield (
            "declaration",
            {
                "statement_of_truth": "on",
                "consent_to_share": "on",
                "consent_to_records": "on",
            },
        )

    def upload(self, claim_id: str, files: list[tuple[str, bytes]], *, as_json: bool) -> list[str]:
        """Send `files` in one request, as the page's script (JSON) or a plain form would;
        returns the new documents' ids (read from the JSON answer or the status endpoint)."""
        path = f"/documents/claims/{claim_id}/upload/"
        token = read_form(self.get(path).text).csrf_token
        data = {"csrfmiddlewaretoken": token}
        parts = {}
        for number, (name, content) in enumerate(files, start=1):
            data[f"category_{number}"] = "medical_records"
            parts[f"file_{number}"] = (name, content, "application/octet-stream")
        headers = {"Accept": "application/json"} if as_json else {}
        response = self.post(path, data, files=parts, headers=headers)
        if as_json and response.status_code == 201:
            return [document["id"] for document in response.json()["documents"]]
        self._expect(response, rf"/claims/{claim_id}/", "uploading without JavaScript")
        return []

    def document_statuses(self, claim_id: str) -> dict[str, str]:
        response = self.get(f"/documents/claims/{claim_id}/status/")
        if response.status_code != 200:
            return {}
        return {document["id"]: document["status"] for document in response.json()["documents"]}
