"""A real Chromium (Debian's package) driven by Playwright against the live test server."""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connection
from playwright.sync_api import sync_playwright

from tests.worker import database_url, running_worker

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# WCAG 2.2 AA, as axe-core tags it.
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module; its event loop ends with the module."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. Install Debian's package: "
            "apt-get install chromium (make test does this for you)."
        )
    # Playwright's sync API keeps an event loop running in this thread while the browser lives;
    # the tests' own ORM calls are synchronous, which Django refuses under a running loop.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe():
    return Axe()


@pytest.fixture
def assert_accessible(axe):
    """Fail with axe's report when the page breaks a WCAG 2.2 AA rule axe can check."""

    def check(page) -> None:
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA_TAGS}})
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"

    return check


@pytest.fixture(scope="module")
def module_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real worker on every queue for one test module, stopped when the module ends so it
    does not stay behind taking other modules' tasks while they flush the database."""
    with django_db_blocker.unblock():
        database = database_url(connection.settings_dict)
    with running_worker(
        database=database,
        log_dir=tmp_path_factory.mktemp("e2e-worker"),
        name="e2e-worker",
        queues="default,scan,notify,webhooks",
        env={},
    ) as worker:
        yield worker


@pytest.fixture(autouse=True)
def _totp_window_tolerance(settings):
    # Browser tests type a code computed a moment earlier: accept the neighbouring 30-second
    # window, so a code computed just before a window turns over still signs in.
    settings.MFA_TOTP_TOLERANCE = 1
