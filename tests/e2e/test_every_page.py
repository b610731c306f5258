"""Every page of the patient's, the advocate's, the adjuster's and the triage lead's journeys,
the admin's and the error pages, at phone (390 px) and desktop (1280 px) width: axe finds no
WCAG 2.2 AA violation and nothing scrolls sideways at phone width.

One world of claims in many states is built with factories; each role signs in once and the
sweep visits its pages in turn, collecting every problem, so one run lists them all."""

import datetime
import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from documents.models import Document, LetterKind, ScanStatus
from intake.models import Claim, ClaimStatus
from intake.steps import STEPS
from portal.models import AuditEvent, User
from resolution import offers
from resolution.models import Offer
from tests.e2e.browser import sign_in
from tests.factories import (
    AdjusterFactory,
    AdministratorFactory,
    AuthorityFactory,
    ClaimFactory,
    CoverageFactory,
    TriageLeadFactory,
    UserFactory,
    complete_draft,
    enrol_totp,
)
from triage.models import AdjusterProfile, RoutingRule, Team

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1280)
#: Set PORTAL_SCREENSHOTS to a folder to keep a full-page picture of every page swept (for
#: docs/screenshots and for reviewing a change of layout by eye).
SCREENSHOTS = (
    Path(os.environ["PORTAL_SCREENSHOTS"]) if os.environ.get("PORTAL_SCREENSHOTS") else None
)
S = ClaimStatus
BREAKDOWN = [
    {"head": "general_damages", "past": "8000", "future": "2000"},
    {"head": "earnings", "past": "1200.00", "future": ""},
]
#: Elements wider than the phone viewport, for the report of a page that scrolls sideways.
TOO_WIDE = (
    "[...document.querySelectorAll('body *')]"
    ".filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)"
    ".map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))"
    ".slice(0, 6)"
)


@dataclass
class World:
    patient: User
    advocate: User
    adjuster: User
    lead: User
    draft: Claim
    submitted: Claim
    under_review: Claim
    offered: Claim
    denied: Claim
    settled: Claim
    offer: Offer
    rule: RoutingRule


def _letter(claim: Claim, kind: str, name: str) -> Document:
    """A letter the portal wrote, as the letters task leaves it (the sweep never downloads it)."""
    content = f"{name} {uuid.uuid4()}".encode()
    return Document.objects.create(
        claim=claim,
        uploader=claim.claimant,
        category="other",
        letter_kind=kind,
        original_name=name,
        storage_key=f"sweep/{uuid.uuid4().hex}",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content_type="application/pdf",
        scan_status=ScanStatus.CLEAN,
        scanned_at=timezone.now(),
    )


def _world() -> World:
    coverage = CoverageFactory(insurer__name="Northshire Medical Mutual")
    insurer, provider = coverage.insurer, coverage.provider
    team = Team.objects.create(insurer=insurer, name="General claims")
    adjuster = AdjusterFactory(insurer=insurer, full_name="Asha Patel")
    AdjusterProfile.objects.create(user=adjuster, capacity=20)
    team.members.add(adjuster)
    rule = RoutingRule.objects.create(
        insurer=insurer, position=99, is_default=True, name="All claims", team=team
    )
    lead = TriageLeadFactory(insurer=insurer, full_name="Lena Lead")
    patient = UserFactory(full_name="Pat Patient")
    advocate = AuthorityFactory(
        patient=patient,
        advocate__full_name="Ada Advocate",
        advocate__advocate_verified_at=timezone.now(),
    ).advocate

    def claim(status: str, **fields) -> Claim:
        return ClaimFactory(
            claimant=patient,
            status=status,
            provider=provider,
            insurer=insurer,
            team=team,
            assigned_adjuster=None if status == S.SUBMITTED else adjuster,
            submitted_at=timezone.now() - datetime.timedelta(days=30),
            acknowledge_by=timezone.localdate() + datetime.timedelta(days=5),
            decide_by=timezone.localdate() + datetime.timedelta(days=90),
            harm_category="surgical",
            severity="moderate",
            description="The wrong knee was operated on.",
            losses={"earnings": "1200.00", "travel": ""},
            **fields,
        )

    offered = claim(S.UNDER_REVIEW)
    offer = offers.offer_make(claim=offered, adjuster=adjuster, breakdown=BREAKDOWN)
    offered.refresh_from_db()
    world = World(
        patient=patient,
        advocate=advocate,
        adjuster=adjuster,
        lead=lead,
        draft=complete_draft(patient, provider=provider),
        submitted=claim(S.SUBMITTED),
        under_review=claim(S.UNDER_REVIEW),
        offered=offered,
        denied=claim(S.DENIED),
        settled=claim(S.SETTLED),
        offer=offer,
        rule=rule,
    )
    _letter(world.under_review, LetterKind.ACKNOWLEDGEMENT, "acknowledgement-letter.pdf")
    _letter(world.offered, LetterKind.OFFER, "offer-letter-round-1.pdf")
    _letter(world.denied, LetterKind.DECISION, "reasoned-decision.pdf")
    return world


def _sweep(page, assert_accessible, live_server, paths: list[str]) -> list[str]:
    """Visit every path at each width; the problems found, one line each."""
    problems = []
    for path in paths:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(f"{live_server.url}{path}")
            if response.status != 200:
                problems.append(f"{path} at {width}px: status {response.status}")
                continue
            try:
                assert_accessible(page)
            except AssertionError as failure:
                problems.append(f"{path} at {width}px: axe\n{failure}")
            if SCREENSHOTS:
                name = path.strip("/").replace("/", "_") or "home"
                page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if width == 390 and scroll > 390:
                problems.append(f"{path} scrolls sideways ({scroll}px): {page.evaluate(TOO_WIDE)}")
    return problems


def _assert_clean(problems: list[str], paths: list[str]) -> None:
    assert not problems, f"{len(problems)} problems on {len(paths)} pages:\n" + "\n".join(problems)


def _claim_pages(name: str, *claims: Claim) -> list[str]:
    return [reverse(name, args=[c.pk]) for c in claims]


def test_every_page_of_the_patients_journey(live_server, page, assert_accessible):
    world = _world()
    sign_in(page, live_server, world.patient)
    draft, offer = world.draft, world.offer
    paths = [
        reverse("home"),
        reverse("dashboard"),
        reverse("intake:claim_start"),
        *(reverse("intake:claim_step", args=[draft.pk, step.slug]) for step in STEPS),
        reverse("intake:claim_check", args=[draft.pk]),
        *_claim_pages(
            "intake:claim_detail",
            world.submitted,
            world.under_review,
            world.offered,
            world.denied,
            world.settled,
        ),
        reverse("intake:claim_confirmation", args=[world.submitted.pk]),
        reverse("intake:claim_withdraw", args=[world.submitted.pk]),
        *(
            reverse(f"resolution:{name}", args=[offer.claim_id, offer.round])
            for name in ("offer_accept", "offer_decline", "offer_counter")
        ),
        reverse("resolution:review_request", args=[world.denied.pk]),
        reverse("intake:authorities"),
        reverse("intake:authority_change", args=[world.patient.authorities_granted.first().pk]),
        reverse("privacy:your_data"),
        reverse("notifications:centre"),
        reverse("notifications:preferences"),
        reverse("account_overview"),
        reverse("account_name"),
        reverse("account_change_password"),
        reverse("account_email"),
        reverse("mfa_index"),
        reverse("usersessions_list"),
        reverse("help"),
        reverse("contact"),
        reverse("accessibility"),
        reverse("privacy:notice"),
    ]

    problems = _sweep(page, assert_accessible, live_server, paths)

    _assert_clean(problems, paths)


def test_every_page_of_the_advocates_journey(live_server, page, assert_accessible):
    world = _world()
    sign_in(page, live_server, world.advocate, totp_secret=enrol_totp(world.advocate))
    paths = [
        reverse("dashboard"),
        reverse("intake:claim_start_on_behalf"),
        *_claim_pages("intake:claim_detail", world.under_review, world.offered, world.denied),
        reverse("notifications:centre"),
        reverse("account_overview"),
    ]

    problems = _sweep(page, assert_accessible, live_server, paths)

    _assert_clean(problems, paths)


def test_every_page_of_the_adjusters_and_the_leads_journeys(
    live_server, page, browser, assert_accessible
):
    world = _world()
    sign_in(page, live_server, world.adjuster, totp_secret=enrol_totp(world.adjuster))
    adjuster_paths = [
        reverse("triage:queue"),
        *_claim_pages("triage:claim_work", world.under_review, world.offered, world.denied),
        reverse("resolution:offer_make", args=[world.under_review.pk]),
        reverse("resolution:payment_record", args=[world.settled.pk]),
        reverse("resolution:reserve_set", args=[world.under_review.pk]),
        reverse("notifications:centre"),
        reverse("account_overview"),
    ]
    problems = _sweep(page, assert_accessible, live_server, adjuster_paths)

    lead_page = browser.new_context().new_page()
    lead_page.set_default_timeout(15_000)
    sign_in(lead_page, live_server, world.lead, totp_secret=enrol_totp(world.lead))
    lead_paths = [
        reverse("triage:lead_workspace"),
        reverse("triage:claim_assign", args=[world.submitted.pk]),
        reverse("triage:claim_work", args=[world.submitted.pk]),
        reverse("oversight:claims"),
        reverse("oversight:dashboard"),
        reverse("oversight:learning"),
        reverse("triage:rules"),
        reverse("triage:rule_new"),
        reverse("triage:rule_edit", args=[world.rule.pk]),
    ]
    problems += _sweep(lead_page, assert_accessible, live_server, lead_paths)

    _assert_clean(problems, adjuster_paths + lead_paths)


def test_every_admin_page_we_use(live_server, page, assert_accessible):
    world = _world()
    admin = AdministratorFactory()
    sign_in(page, live_server, admin, totp_secret=enrol_totp(admin))
    audit_event = AuditEvent.objects.order_by("-pk").first()
    objects = {
        "intake_claim": world.offered.pk,
        "portal_user": world.patient.pk,
        "documents_document": Document.objects.filter(claim=world.offered).first().pk,
        "resolution_offer": world.offer.pk,
        "triage_team": world.rule.team_id,
        "portal_insurer": world.adjuster.insurer_id,
    }
    paths = [reverse("admin:index")]
    for model, pk in objects.items():
        paths += [reverse(f"admin:{model}_changelist"), reverse(f"admin:{model}_change", args=[pk])]
    paths += [
        reverse("admin:portal_auditevent_changelist"),
        reverse("admin:portal_auditevent_change", args=[audit_event.pk]),
    ]

    problems = _sweep(page, assert_accessible, live_server, paths)

    _assert_clean(problems, paths)


def test_the_error_pages_are_in_the_portals_layout_and_accessible(
    live_server, page, assert_accessible
):
    patient = UserFactory()
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path, status in (("/no-such-page/", 404),):
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == status
            problems += _layout_problems(page, assert_accessible, path, width)
    sign_in(page, live_server, patient)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path, status in (("/no-such-page/", 404), (reverse("triage:queue"), 403)):
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == status, path
            problems += _layout_problems(page, assert_accessible, path, width)

    # The 500 page as Django renders it (no request, no context), served at a live address so
    # its stylesheet and mark load as they would.
    broken = f"{live_server.url}/a-page-that-failed/"
    html = render_to_string("500.html")
    page.route(broken, lambda route: route.fulfill(status=500, body=html, content_type="text/html"))
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.goto(broken).status == 500
        problems += _layout_problems(page, assert_accessible, "500", width)

    assert not problems, "\n".join(problems)


def _layout_problems(page, assert_accessible, path: str, width: int) -> list[str]:
    problems = []
    try:
        assert_accessible(page)
    except AssertionError as failure:
        problems.append(f"{path} at {width}px: axe\n{failure}")
    if width == 390 and page.evaluate("document.documentElement.scrollWidth") > 390:
        problems.append(f"{path} scrolls sideways: {page.evaluate(TOO_WIDE)}")
    text = page.locator("main").inner_text()
    for needed in ("0300 123 4567", "help@claim-portal.example"):
        if needed not in text:
            problems.append(f"{path}: the page does not give the contact details ({needed})")
    if page.locator("header.site-header").count() != 1:
        problems.append(f"{path}: not in the portal's layout")
    return problems
