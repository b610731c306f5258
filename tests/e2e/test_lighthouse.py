"""Lighthouse (npm lighthouse@12.2.3, with Debian's Chromium) scores the home, sign-up, sign-in,
claim-start and case pages 1.0 for accessibility and for best practices.

A pytest test rather than a script beside `make test`: it runs in the same pytest run, against
the same live server and database, so the signed-in pages need no second server. Lighthouse is
installed once into var/node/ (`npm i -E lighthouse@12.2.3 --prefix var/node`) and kept there."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.documents.conftest import submitted_claim
from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LIGHTHOUSE_VERSION = "12.2.3"
NODE_PREFIX = Path(settings.BASE_DIR) / "var" / "node"
LIGHTHOUSE = NODE_PREFIX / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("accessibility", "best-practices")


@pytest.fixture(scope="module")
def lighthouse() -> Path:
    """The Lighthouse CLI, installed into var/node/ the first time."""
    if _installed_version() != LIGHTHOUSE_VERSION:
        NODE_PREFIX.mkdir(parents=True, exist_ok=True)
        install = subprocess.run(  # noqa: S603 (a fixed command line)
            ["npm", "i", "-E", f"lighthouse@{LIGHTHOUSE_VERSION}", "--prefix", str(NODE_PREFIX)],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if install.returncode != 0:
            pytest.fail(f"Could not install Lighthouse with npm:\n{install.stderr[-2000:]}")
    return LIGHTHOUSE


def _installed_version() -> str | None:
    package = NODE_PREFIX / "node_modules" / "lighthouse" / "package.json"
    if not package.exists():
        return None
    return json.loads(package.read_text())["version"]


def _scores(lighthouse: Path, url: str, *, cookie: str | None = None) -> dict:
    """Lighthouse's report of `url`, signed in with the session `cookie` if given."""
    command = [
        str(lighthouse),
        url,
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json",
        "--output-path=stdout",
        "--quiet",
        f"--chrome-flags={' '.join([*CHROMIUM_FLAGS, '--headless'])}",
    ]
    if cookie:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    run = subprocess.run(  # noqa: S603 (our own arguments)
        command,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "CHROME_PATH": CHROMIUM},
    )
    assert run.returncode == 0, f"Lighthouse failed on {url}:\n{run.stderr[-3000:]}"
    return json.loads(run.stdout)


def _failures(report: dict) -> list[str]:
    """Each audit of the two categories that did not pass, with what it found."""
    failing = []
    for category in CATEGORIES:
        for ref in report["categories"][category]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                items = audit.get("details", {}).get("items", [])
                found = [
                    (item.get("node") or {}).get("snippet") or item.get("description") or item
                    for item in items[:3]
                ]
                failing.append(f"{category}: {audit['id']} ({audit['title']}) {found}")
    return failing


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_the_key_pages_score_full_marks_for_accessibility_and_best_practices(
    live_server, lighthouse
):
    claim = submitted_claim()
    patient = claim.claimant
    cookie = _session_cookie(patient)
    pages = [
        (reverse("home"), None),
        (reverse("account_signup"), None),
        (reverse("account_login"), None),
        (reverse("intake:claim_start"), cookie),
        (reverse("intake:claim_detail", args=[claim.pk]), cookie),
    ]
    scores, problems = {}, []
    for path, session in pages:
        report = _scores(lighthouse, f"{live_server.url}{path}", cookie=session)
        assert report["finalDisplayedUrl"].endswith(path), f"{path} went to another page"
        scores[path] = {c: report["categories"][c]["score"] for c in CATEGORIES}
        problems += [f"{path}: {failure}" for failure in _failures(report)]
    print("Lighthouse scores:", json.dumps(scores, indent=1))  # noqa: T201 (the run's record)

    assert all(score == 1 for page in scores.values() for score in page.values()), (
        f"{scores}\n" + "\n".join(problems)
    )
