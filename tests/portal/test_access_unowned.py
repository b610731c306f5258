"""A claim no insurer owns yet is nobody's but the administrators': across two insurers, neither
insurer's staff sees or touches anything of it until an administrator gives it to one of them."""

import pytest
from django.urls import reverse

from documents.models import Document, ScanStatus
from intake.models import ClaimStatus
from intake.services import ClaimError, TransitionNotPermitted, claim_message_send, claim_submit
from notifications.models import Notification
from portal.models import AuditAction, AuditEvent
from tests.factories import AdministratorFactory, UserFactory, complete_draft
from tests.portal.test_selectors import _signed_in
from tests.triage.test_views import Insurer
from triage.models import ClaimNote, RoutingDecision, RoutingRule
from triage.services import claim_insurer_choose, claim_route

pytestmark = pytest.mark.django_db


@pytest.fixture
def ours():
    return Insurer("Asha Patel")


@pytest.fixture
def theirs():
    return Insurer("Ben Okoro")


@pytest.fixture
def unowned():
    """A claim about a provider the portal does not list, routed (so: no insurer), with a
    message from the patient and a clean document."""
    patient = UserFactory()
    claim = claim_submit(
        claim=complete_draft(
            patient,
            provider=None,
            provider_not_listed="Bay Clinic, Hull",
            description="Nerve damaged during a knee operation",
        ),
        user=patient,
    )
    claim_route(claim_id=claim.pk)
    claim.refresh_from_db()
    claim_message_send(claim=claim, author=patient, body="My physiotherapy letter is coming.")
    Document.objects.create(
        claim=claim,
        uploader=patient,
        category="other",
        original_name="letter.pdf",
        storage_key=f"clean/{claim.pk}",
        size=10,
        sha256="0" * 64,
        content_type="application/pdf",
        scan_status=ScanStatus.CLEAN,
    )
    return claim


def _claim_urls(claim) -> list[tuple[str, str, dict]]:
    """Every way a lead could read or act on a claim: the case page, its documents, messages,
    notes and assignment."""
    document = claim.documents.get()
    return [
        ("get", reverse("triage:claim_work", args=[claim.pk]), {}),
        ("get", reverse("intake:claim_detail", args=[claim.pk]), {}),
        ("get", reverse("documents:download", args=[document.pk]), {}),
        ("get", reverse("documents:status", args=[claim.pk]), {}),
        ("post", reverse("triage:claim_message", args=[claim.pk]), {"body": "Hello"}),
        ("post", reverse("triage:claim_note", args=[claim.pk]), {"body": "Ours?"}),
        ("get", reverse("triage:claim_assign", args=[claim.pk]), {}),
        ("post", reverse("triage:claim_assign", args=[claim.pk]), {"reason": "Ours"}),
    ]


def _assert_sees_nothing(lead, claim) -> None:
    client = _signed_in(lead)
    for method, url, data in _claim_urls(claim):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (lead.insurer, method, url)
        assert b"Nerve damaged" not in response.content
    for page in ("triage:lead_workspace", "triage:queue"):
        assert claim.reference not in client.get(reverse(page)).content.decode()
    refused = AuditEvent.objects.filter(
        action=AuditAction.ACCESS_REFUSED, actor=lead, object_id__in=[str(claim.pk)]
    )
    assert refused.exists()


def _give(claim, insurer) -> str:
    """An administrator gives `claim` to `insurer` (None: chooses none) with the admin action;
    returns the page."""
    response = _signed_in(AdministratorFactory()).post(
        reverse("admin:triage_claimawaitinginsurer_changelist"),
        {
            "action": "choose_insurer",
            "index": 0,
            "_selected_action": [claim.pk],
            "insurer": insurer.pk if insurer else "",
        },
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_no_insurers_lead_sees_or_touches_a_claim_without_an_insurer(ours, theirs, unowned):
    assert unowned.status == ClaimStatus.NEEDS_TRIAGE and unowned.insurer_id is None

    for lead in (ours.lead, theirs.lead):
        _assert_sees_nothing(lead, unowned)

    assert not ClaimNote.objects.filter(claim=unowned).exists()
    assert unowned.messages.count() == 1
    unowned.refresh_from_db()
    assert unowned.insurer_id is None and unowned.status == ClaimStatus.NEEDS_TRIAGE


def test_no_insurers_staff_are_told_of_a_claim_without_an_insurer(ours, theirs, unowned):
    staff = [ours.lead, theirs.lead, ours.adjuster, theirs.adjuster]

    assert not Notification.objects.filter(claim=unowned, recipient__in=staff).exists()


def test_once_an_administrator_gives_it_to_one_insurer_only_that_insurer_sees_it(
    ours, theirs, unowned
):
    page = _give(unowned, ours.insurer)

    unowned.refresh_from_db()
    assert unowned.insurer == ours.insurer
    assert unowned.status == ClaimStatus.ASSIGNED
    assert unowned.assigned_adjuster == ours.adjuster
    assert f"{unowned.reference} is {ours.insurer.name}" in page
    lead = _signed_in(ours.lead)
    work = lead.get(reverse("triage:claim_work", args=[unowned.pk]))
    assert work.status_code == 200
    assert "Nerve damaged" in work.content.decode()
    assert lead.get(reverse("documents:status", args=[unowned.pk])).status_code == 200
    _assert_sees_nothing(theirs.lead, unowned)


def test_the_choice_is_audited_and_kept_with_the_routing_reasons(ours, unowned):
    _give(unowned, ours.insurer)

    change = AuditEvent.objects.get(
        action=AuditAction.CHANGE, object_id=str(unowned.pk), detail__change="insurer chosen"
    )
    assert change.actor.is_staff
    assert change.detail == {"change": "insurer chosen", "insurer": str(ours.insurer.pk)}
    chosen = RoutingDecision.objects.get(claim=unowned, actor=change.actor)
    assert chosen.reason == f"insurer chosen by an administrator: {ours.insurer.name}"


def test_without_a_matching_rule_it_waits_in_the_chosen_insurers_needs_triage_queue(
    ours, theirs, unowned
):
    RoutingRule.objects.filter(insurer=ours.insurer).delete()

    _give(unowned, ours.insurer)

    unowned.refresh_from_db()
    assert unowned.status == ClaimStatus.NEEDS_TRIAGE and unowned.insurer == ours.insurer
    workspace = _signed_in(ours.lead).get(reverse("triage:lead_workspace")).content.decode()
    assert unowned.reference in workspace
    assert f"no routing rule of {ours.insurer.name} matched" in workspace
    other = _signed_in(theirs.lead).get(reverse("triage:lead_workspace")).content.decode()
    assert unowned.reference not in other


def test_the_admin_lists_claims_awaiting_an_insurer_and_audits_the_view(ours, unowned):
    owned = ours.routed_claim()
    admin = AdministratorFactory()
    client = _signed_in(admin)

    listing = client.get(
        reverse("admin:triage_claimawaitinginsurer_changelist"), {"awaiting": "yes"}
    )
    detail = client.get(reverse("admin:intake_claim_change", args=[unowned.pk]))

    assert listing.status_code == 200 and detail.status_code == 200
    assert unowned.reference in listing.content.decode()
    assert owned.reference not in listing.content.decode()
    assert "Bay Clinic, Hull" in detail.content.decode()
    assert "Nerve damaged" not in detail.content.decode()
    views = AuditEvent.objects.filter(action=AuditAction.VIEW, actor=admin, object_id=unowned.pk)
    assert views.count() == 2


def test_the_admin_action_without_an_insurer_changes_nothing(unowned):
    page = _give(unowned, None)

    unowned.refresh_from_db()
    assert unowned.insurer_id is None
    assert "Choose the insurer to give the claims to." in page


def test_only_an_administrator_chooses_the_insurer(ours, unowned):
    with pytest.raises(TransitionNotPermitted):
        claim_insurer_choose(claim=unowned, insurer=ours.insurer, admin=ours.lead)

    unowned.refresh_from_db()
    assert unowned.insurer_id is None
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=ours.lead).exists()


def test_a_claim_that_has_an_insurer_is_not_given_to_another(ours, theirs):
    claim = ours.routed_claim()

    with pytest.raises(ClaimError):
        claim_insurer_choose(claim=claim, insurer=theirs.insurer, admin=AdministratorFactory())

    claim.refresh_from_db()
    assert claim.insurer == ours.insurer
