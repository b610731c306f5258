"""The insurer's pages from outside: the workflow, and the access matrix across two insurers."""

import datetime
import html as html_text
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from intake.models import ClaimStatus
from intake.services import claim_submit
from portal.models import AuditAction, AuditEvent
from tests.date_input_posts import date_parts
from tests.factories import (
    AdjusterFactory,
    AdministratorFactory,
    CoverageFactory,
    TriageLeadFactory,
    UserFactory,
    complete_draft,
)
from tests.portal.test_selectors import _signed_in
from triage.labels import ANSWER_LABELS
from triage.models import AdjusterProfile, ClaimNote, RoutingRule, RoutingRuleChange, Team
from triage.services import claim_insurer_choose, claim_route

pytestmark = pytest.mark.django_db


class Insurer:
    """One insurer's world: coverage, a team, an adjuster, a lead, a default rule."""

    def __init__(self, adjuster_name: str):
        self.coverage = CoverageFactory()
        self.insurer = self.coverage.insurer
        self.team = Team.objects.create(insurer=self.insurer, name="General")
        self.adjuster = AdjusterFactory(insurer=self.insurer, full_name=adjuster_name)
        self.team.members.add(self.adjuster)
        AdjusterProfile.objects.create(user=self.adjuster, capacity=10)
        self.colleague = AdjusterFactory(insurer=self.insurer)
        self.lead = TriageLeadFactory(insurer=self.insurer)
        RoutingRule.objects.create(
            insurer=self.insurer, position=99, is_default=True, name="All", team=self.team
        )

    def routed_claim(self, **answers):
        patient = UserFactory()
        claim = claim_submit(
            claim=complete_draft(patient, provider=self.coverage.provider, **answers), user=patient
        )
        claim_route(claim_id=claim.pk)
        claim.refresh_from_db()
        return claim


@pytest.fixture
def ours():
    return Insurer("Asha Patel")


@pytest.fixture
def theirs():
    return Insurer("Ben Okoro")


def _claim_urls(claim) -> list[tuple[str, str, dict]]:
    pk = claim.pk
    return [
        ("get", reverse("triage:claim_work", args=[pk]), {}),
        ("post", reverse("triage:claim_action", args=[pk, "acknowledge"]), {}),
        ("post", reverse("triage:claim_action", args=[pk, "deny"]), {"reason": "x"}),
        (
            "post",
            reverse("triage:claim_request_information", args=[pk]),
            {"body": "x", **date_parts("due_date", "2099-01-01")},
        ),
        ("post", reverse("resolution:offer_make", args=[pk]), {"general_damages_past": "10"}),
        ("post", reverse("triage:claim_message", args=[pk]), {"body": "x"}),
        ("post", reverse("triage:claim_note", args=[pk]), {"body": "x"}),
        ("get", reverse("triage:claim_assign", args=[pk]), {}),
        ("post", reverse("triage:claim_assign", args=[pk]), {"reason": "x"}),
    ]


@pytest.mark.parametrize("who", ["adjuster", "lead", "colleague"])
def test_staff_of_another_insurer_get_404_and_an_audit_row_on_every_claim_url(ours, theirs, who):
    claim = ours.routed_claim()
    intruder = getattr(theirs, who)
    client = _signed_in(intruder)

    for method, url, data in _claim_urls(claim):
        response = getattr(client, method)(url, data)
        # Assigning is for leads only: anyone else is refused before any claim is looked up.
        expected = 403 if "/assign/" in url and who != "lead" else 404
        assert response.status_code == expected, (who, method, url)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ASSIGNED
    assert not ClaimNote.objects.exists()
    refused = AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=intruder)
    assert refused.count() == len(_claim_urls(claim))


def test_an_adjuster_not_assigned_cannot_work_a_colleagues_claim(ours):
    claim = ours.routed_claim()
    client = _signed_in(ours.colleague)

    assert client.get(reverse("triage:claim_work", args=[claim.pk])).status_code == 404
    assert (
        client.post(reverse("triage:claim_action", args=[claim.pk, "acknowledge"])).status_code
        == 404
    )


def test_another_insurers_lead_sees_none_of_our_people_or_claims(ours, theirs):
    claim = ours.routed_claim()
    client = _signed_in(theirs.lead)

    workspace = client.get(reverse("triage:lead_workspace")).content.decode()
    leave = client.post(
        reverse("triage:adjuster_leave", args=[ours.adjuster.pk]), {"on_leave": "yes"}
    )

    assert claim.reference not in workspace
    assert ours.adjuster.get_full_name() not in workspace
    assert leave.status_code == 404
    assert not AdjusterProfile.objects.get(user=ours.adjuster).on_leave


@pytest.mark.parametrize("url_name", ["triage:lead_workspace", "triage:rules", "triage:rule_new"])
def test_adjusters_and_patients_cannot_open_lead_pages(ours, url_name):
    for user in (ours.adjuster, UserFactory()):
        response = _signed_in(user).get(reverse(url_name))
        assert response.status_code == 403


def test_a_patient_cannot_open_the_staff_queue_or_claim_page(ours):
    claim = ours.routed_claim()
    client = _signed_in(claim.claimant)

    assert client.get(reverse("triage:queue")).status_code == 403
    assert client.get(reverse("triage:claim_work", args=[claim.pk])).status_code == 403


def test_the_adjuster_works_a_claim_from_queue_to_offer(ours, django_capture_on_commit_callbacks):
    claim = ours.routed_claim(description="Swab left after surgery")
    adjuster = _signed_in(ours.adjuster)
    patient = _signed_in(claim.claimant)

    assert claim.reference in adjuster.get(reverse("triage:queue")).content.decode()
    adjuster.post(reverse("triage:claim_action", args=[claim.pk, "acknowledge"]))
    due = (timezone.localdate() + datetime.timedelta(days=14)).isoformat()
    adjuster.post(
        reverse("triage:claim_request_information", args=[claim.pk]),
        {"body": "Please send the discharge letter.", **date_parts("due_date", due)},
    )
    case = patient.get(reverse("intake:claim_detail", args=[claim.pk])).content.decode()
    assert "Please send the discharge letter." in case
    with django_capture_on_commit_callbacks(execute=True):
        patient.post(reverse("intake:claim_message", args=[claim.pk]), {"body": "Letter attached."})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.UNDER_REVIEW
    assert any(ours.adjuster.email in message.to for message in mail.outbox)
    assert "Swab" not in "".join(message.body + message.subject for message in mail.outbox)

    adjuster.post(reverse("triage:claim_note", args=[claim.pk]), {"body": "Looks strong"})
    adjuster.post(
        reverse("resolution:offer_make", args=[claim.pk]), {"general_damages_past": "12000"}
    )

    case = patient.get(reverse("intake:claim_detail", args=[claim.pk])).content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OFFER_MADE
    assert "£12,000.00" in case
    assert "Looks strong" not in case


def test_deny_needs_a_reason_and_the_patient_sees_it(ours):
    claim = ours.routed_claim()
    adjuster = _signed_in(ours.adjuster)
    adjuster.post(reverse("triage:claim_action", args=[claim.pk, "acknowledge"]))

    adjuster.post(reverse("triage:claim_action", args=[claim.pk, "deny"]), {"reason": ""})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.UNDER_REVIEW

    adjuster.post(
        reverse("triage:claim_action", args=[claim.pk, "deny"]),
        {"reason": "The care met the expected standard."},
    )
    case = _signed_in(claim.claimant).get(reverse("intake:claim_detail", args=[claim.pk]))
    assert "The care met the expected standard." in case.content.decode()


def test_the_lead_sees_the_routing_reason_and_reassigns_with_a_reason(ours):
    claim = ours.routed_claim()
    lead = _signed_in(ours.lead)
    ours.team.members.add(ours.colleague)

    page = lead.get(reverse("triage:claim_work", args=[claim.pk])).content.decode()
    lead.post(
        reverse("triage:claim_assign", args=[claim.pk]),
        {"adjuster": ours.colleague.pk, "reason": "Asha is at a conference"},
    )

    assert "rule 99: default → General; assigned to A. Patel, 1 of 10 open" in page
    claim.refresh_from_db()
    assert claim.assigned_adjuster == ours.colleague


def test_leave_sends_open_claims_to_colleagues(ours):
    claim = ours.routed_claim()
    ours.team.members.add(ours.colleague)
    AdjusterProfile.objects.create(user=ours.colleague, capacity=10)

    _signed_in(ours.lead).post(
        reverse("triage:adjuster_leave", args=[ours.adjuster.pk]), {"on_leave": "yes"}
    )

    claim.refresh_from_db()
    assert claim.assigned_adjuster == ours.colleague
    assert AdjusterProfile.objects.get(user=ours.adjuster).on_leave


def test_rule_changes_are_kept_with_who_and_before_and_after(ours):
    lead = _signed_in(ours.lead)
    rule = RoutingRule.objects.get(insurer=ours.insurer)

    lead.post(
        reverse("triage:rule_edit", args=[rule.pk]),
        {
            "position": 99,
            "name": "Everything",
            "team": ours.team.pk,
            "priority": 3,
            "days_to_acknowledge": 3,
            "days_to_decide": 50,
        },
    )

    change = RoutingRuleChange.objects.get()
    assert change.actor == ours.lead
    assert change.before["name"] == "All" and change.after["name"] == "Everything"


def test_another_insurers_lead_cannot_edit_our_rules(ours, theirs):
    rule = RoutingRule.objects.get(insurer=ours.insurer)

    response = _signed_in(theirs.lead).post(
        reverse("triage:rule_edit", args=[rule.pk]),
        {
            "position": 1,
            "name": "Hijack",
            "team": theirs.team.pk,
            "priority": 1,
            "days_to_acknowledge": 1,
            "days_to_decide": 1,
        },
    )

    assert response.status_code == 404
    rule.refresh_from_db()
    assert rule.name == "All"


def test_a_claim_an_administrator_gave_us_is_assigned_by_our_lead(ours):
    patient = UserFactory()
    claim = claim_submit(
        claim=complete_draft(patient, provider=None, provider_not_listed="Bay Clinic, Hull"),
        user=patient,
    )
    claim_route(claim_id=claim.pk)
    RoutingRule.objects.filter(insurer=ours.insurer).delete()
    claim_insurer_choose(claim=claim, insurer=ours.insurer, admin=AdministratorFactory())
    lead = _signed_in(ours.lead)

    assert claim.reference in lead.get(reverse("triage:lead_workspace")).content.decode()
    lead.post(
        reverse("triage:claim_assign", args=[claim.pk]),
        {"adjuster": ours.adjuster.pk, "team": ours.team.pk, "reason": "Our member"},
    )

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ASSIGNED
    assert claim.insurer == ours.insurer
    assert claim.decide_by is not None


def _page_load(client, url) -> tuple[int, int]:
    """(queries, inserts into the audit log) of one request."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    inserts = [q for q in captured if q["sql"].startswith('INSERT INTO "portal_auditevent"')]
    return len(captured), len(inserts)


def _viewed(user, page: str) -> set[str]:
    rows = AuditEvent.objects.filter(action=AuditAction.VIEW, actor=user, detail__page=page)
    return set(rows.values_list("object_id", flat=True))


def test_the_queue_audits_every_claim_it_lists_in_one_insert_whatever_their_number(ours):
    client = _signed_in(ours.adjuster)
    url = reverse("triage:queue")
    first = ours.routed_claim()
    few = _page_load(client, url)
    others = [ours.routed_claim() for _ in range(4)]
    many = _page_load(client, url)

    assert few == many
    assert few[1] == 1
    assert _viewed(ours.adjuster, "queue") == {str(c.pk) for c in [first, *others]}


def test_the_workspace_audits_every_claim_it_lists_in_one_insert_whatever_their_number(ours):
    RoutingRule.objects.filter(insurer=ours.insurer).delete()  # so claims wait for the lead
    client = _signed_in(ours.lead)
    url = reverse("triage:lead_workspace")
    first = ours.routed_claim()
    few = _page_load(client, url)
    others = [ours.routed_claim() for _ in range(4)]
    many = _page_load(client, url)

    assert few == many
    assert few[1] == 1
    assert _viewed(ours.lead, "workspace") == {str(c.pk) for c in [first, *others]}


# --- The claimant, in staff words ---------------------------------------------------------------


def _named_claim(insurer: Insurer, **answers):
    claim = insurer.routed_claim(nhs_number="943 476 5919", **answers)
    claim.claimant.full_name = "Grace Okafor"
    claim.claimant.save(update_fields=["full_name"])
    return claim


def _section(page: str, heading_id: str) -> str:
    """The text of the page's section labelled by `heading_id`, tags removed."""
    start = page.index(f'<section aria-labelledby="{heading_id}">')
    html = page[start : page.index("</section>", start)]
    return html_text.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.parametrize("who", ["adjuster", "lead"])
def test_the_staff_claim_page_shows_who_the_claimant_is(ours, who):
    claim = _named_claim(ours)

    page = _signed_in(getattr(ours, who)).get(reverse("triage:claim_work", args=[claim.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    claimant = _section(html, "claimant-heading")
    for label, value in [
        ("Name", "Grace Okafor"),
        ("Date of birth", "17 May 1980"),
        ("Phone number", "07700 900123"),
        ("NHS or insurance number", "943 476 5919"),
    ]:
        assert f"{label} {value}" in claimant, label
    # The address keeps its lines.
    assert '<dd class="preserve-lines">1 High Street\nManchester\nM1 1AA</dd>' in html


def test_a_detail_the_claimant_left_out_says_not_given(ours):
    claim = ours.routed_claim()  # with no NHS or insurance number, which is optional

    page = _signed_in(ours.adjuster).get(reverse("triage:claim_work", args=[claim.pk]))

    claimant = _section(page.content.decode(), "claimant-heading")
    assert "NHS or insurance number Not given" in claimant


@pytest.mark.parametrize("who", ["adjuster", "lead"])
def test_the_staff_claim_page_gives_the_answers_in_staff_words(ours, who):
    claim = _named_claim(ours, losses={"travel": "120.00"})

    page = _signed_in(getattr(ours, who)).get(reverse("triage:claim_work", args=[claim.pk]))

    answers = _section(page.content.decode(), "answers-heading")
    assert "The claimant's answers" in answers
    for label in ANSWER_LABELS.values():
        assert str(label) in answers
    assert "Date the claimant found out 10 June 2024" in answers
    assert "What the claimant says happened The wrong knee was operated on." in answers
    assert "Travel: £120.00" in answers
    assert "Days the claimant was off work Not given" in answers
    assert not re.search(r"\byou(r|rs)?\b", answers, re.IGNORECASE), answers


def test_showing_the_claimant_leaves_one_view_row_that_says_so(ours):
    claim = _named_claim(ours)
    client = _signed_in(ours.adjuster)
    before = set(AuditEvent.objects.values_list("pk", flat=True))

    client.get(reverse("triage:claim_work", args=[claim.pk]))

    row = AuditEvent.objects.exclude(pk__in=before).get()
    assert row.action == AuditAction.VIEW
    assert row.actor == ours.adjuster
    assert row.object_type == "intake.claim"
    assert row.object_id == str(claim.pk)
    # Identifiers only: none of the claimant's details go into the log.
    assert row.detail == {"page": "claim", "claimant_details": True}


def test_another_insurers_lead_and_the_patient_see_nothing_of_the_claimant(ours, theirs):
    claim = _named_claim(ours)
    url = reverse("triage:claim_work", args=[claim.pk])

    for user, status in [(theirs.lead, 404), (claim.claimant, 403)]:
        response = _signed_in(user).get(url)

        assert response.status_code == status, user
        assert "943 476 5919" not in response.content.decode()
        assert AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=user).exists()
        assert not AuditEvent.objects.filter(action=AuditAction.VIEW, actor=user).exists()


def test_a_staff_form_sent_back_with_errors_records_that_the_claimant_was_shown(ours):
    """The page that comes back with a form's errors shows the claimant's details too, so it
    leaves the same flagged VIEW row as opening the page."""
    claim = _named_claim(ours)
    client = _signed_in(ours.adjuster)
    before = set(AuditEvent.objects.values_list("pk", flat=True))

    page = client.post(reverse("triage:claim_note", args=[claim.pk]), {"body": ""})

    assert page.status_code == 200
    assert "943 476 5919" in _section(page.content.decode(), "claimant-heading")
    flagged = AuditEvent.objects.exclude(pk__in=before).filter(
        action=AuditAction.VIEW, detail={"page": "claim", "claimant_details": True}
    )
    assert flagged.count() == 1
