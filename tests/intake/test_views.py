"""The patient's pages from outside: the whole flow, bad input, and other people trying."""

import pytest
from django.urls import reverse

from intake.models import Claim, ClaimStatus
from intake.services import claim_draft_start
from portal.models import AuditAction, AuditEvent
from tests.date_input_posts import date_parts
from tests.factories import AdjusterFactory, CoverageFactory, ProviderFactory, UserFactory
from tests.portal.test_selectors import _signed_in

pytestmark = pytest.mark.django_db

ANSWERS = {
    "about-you": {
        **date_parts("date_of_birth", "1980-02-03"),
        "phone": "01632 960000",
        "address": "1 High St",
    },
    "what-happened": {
        **date_parts("incident_date", "2025-01-02"),
        **date_parts("knowledge_date", "2025-03-01"),
        "harm_category": "surgical",
        "description": "The wrong knee was operated on.",
    },
    "the-harm": {"severity": "moderate", "injuries": "Knee pain", "ongoing_treatment": "yes"},
    "losses": {"kinds": ["travel"], "amount_travel": "42.50", "time_off_work_days": "3"},
    "declaration": {
        "statement_of_truth": "on",
        "consent_to_share": "on",
        "consent_to_records": "on",
    },
}


def _step_url(claim: Claim, slug: str) -> str:
    return reverse("intake:claim_step", args=[claim.pk, slug])


def _answer_everything(client, claim: Claim, provider) -> None:
    for slug, data in [("provider", {"provider": provider.pk}), *ANSWERS.items()]:
        response = client.post(_step_url(claim, slug), data)
        assert response.status_code == 302, (
            slug,
            response.context and response.context["form"].errors,
        )


@pytest.fixture
def patient():
    return UserFactory()


@pytest.fixture
def patient_client(patient):
    return _signed_in(patient)


@pytest.fixture
def draft(patient):
    return claim_draft_start(patient=patient)


@pytest.fixture
def submitted(patient, patient_client):
    claim = claim_draft_start(patient=patient)
    _answer_everything(patient_client, claim, CoverageFactory().provider)
    patient_client.post(reverse("intake:claim_check", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    return claim


def test_a_patient_files_a_claim_and_finds_it_on_the_dashboard(patient_client, patient):
    response = patient_client.post(reverse("intake:claim_start"))
    claim = Claim.objects.get(claimant=patient)
    assert response.headers["Location"] == _step_url(claim, "about-you")

    _answer_everything(patient_client, claim, CoverageFactory().provider)
    response = patient_client.post(reverse("intake:claim_check", args=[claim.pk]), follow=True)

    claim.refresh_from_db()
    assert claim.reference.startswith("CLM-")
    assert claim.reference in response.content.decode()
    dashboard = patient_client.get(reverse("dashboard")).content.decode()
    assert claim.reference in dashboard
    detail = patient_client.get(reverse("intake:claim_detail", args=[claim.pk])).content.decode()
    assert "Received" in detail and "The wrong knee was operated on." in detail


def test_each_step_saves_the_draft_and_the_patient_resumes_where_they_stopped(
    patient_client, draft
):
    patient_client.post(
        _step_url(draft, "about-you"), {**ANSWERS["about-you"], "save_and_exit": ""}
    )

    draft.refresh_from_db()
    assert draft.phone == "01632 960000"
    response = patient_client.get(reverse("intake:claim_resume", args=[draft.pk]))
    assert response.headers["Location"] == _step_url(draft, "provider")


def test_invalid_answers_are_summarised_and_nothing_saved_is_lost(patient_client, draft):
    patient_client.post(_step_url(draft, "about-you"), ANSWERS["about-you"])

    response = patient_client.post(
        _step_url(draft, "what-happened"),
        {
            **ANSWERS["what-happened"],
            **date_parts("incident_date", "2099-01-01"),
            "description": "x\x00y",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "The date it happened must be today or in the past." in page
    assert "Null characters are not allowed." in page
    draft.refresh_from_db()
    assert draft.phone == "01632 960000"
    assert draft.incident_date is None


def test_html_and_script_are_stored_as_seen_and_shown_escaped(patient_client, draft):
    hostile = '<script>alert("x")</script>\u202eevil\u202c ' + "é" * 4000
    provider = ProviderFactory()
    _answer_everything(patient_client, draft, provider)
    patient_client.post(
        _step_url(draft, "what-happened"), {**ANSWERS["what-happened"], "description": hostile}
    )

    page = patient_client.get(reverse("intake:claim_check", args=[draft.pk])).content.decode()

    draft.refresh_from_db()
    # Markup is kept as typed; the direction override, which could disguise it, is not.
    assert draft.description == '<script>alert("x")</script>evil ' + "é" * 4000
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;" in page


def test_a_tampered_provider_id_is_refused_with_a_clear_message(patient_client, draft):
    inactive = ProviderFactory(is_active=False)

    for bad_id in (inactive.pk, 999_999, "'; DROP TABLE"):
        response = patient_client.post(_step_url(draft, "provider"), {"provider": bad_id})
        assert "Choose a provider from the list." in response.content.decode()
    draft.refresh_from_db()
    assert draft.provider_id is None


def test_provider_search_narrows_the_list_without_javascript(patient_client, draft):
    ProviderFactory(name="Riverside Clinic")
    ProviderFactory(name="Hilltop Hospital")

    page = patient_client.get(_step_url(draft, "provider"), {"q": "river"}).content.decode()

    assert "Riverside Clinic" in page
    assert "Hilltop Hospital" not in page


def test_a_second_claim_about_the_same_provider_and_date_is_flagged(patient_client, submitted):
    second = claim_draft_start(patient=submitted.claimant)
    patient_client.post(_step_url(second, "provider"), {"provider": submitted.provider_id})

    response = patient_client.post(_step_url(second, "what-happened"), ANSWERS["what-happened"])

    assert response.headers["Location"] == reverse("intake:claim_duplicate", args=[second.pk])
    warning = patient_client.get(response.headers["Location"]).content.decode()
    assert submitted.reference in warning
    patient_client.post(reverse("intake:claim_duplicate", args=[second.pk]))
    second.refresh_from_db()
    assert second.duplicate_acknowledged


def test_a_submitted_claim_cannot_be_changed_or_submitted_again(patient_client, submitted):
    reference = submitted.reference

    edit = patient_client.post(_step_url(submitted, "about-you"), ANSWERS["about-you"])
    replay = patient_client.post(reverse("intake:claim_check", args=[submitted.pk]))

    assert edit.headers["Location"] == reverse("intake:claim_detail", args=[submitted.pk])
    assert replay.headers["Location"] == reverse("intake:claim_detail", args=[submitted.pk])
    submitted.refresh_from_db()
    assert submitted.reference == reference
    assert submitted.status_changes.count() == 1


def test_the_patient_withdraws_with_an_optional_reason(patient_client, submitted):
    patient_client.post(reverse("intake:claim_withdraw", args=[submitted.pk]), {"reason": ""})

    submitted.refresh_from_db()
    assert submitted.status == ClaimStatus.WITHDRAWN
    page = patient_client.get(reverse("intake:claim_detail", args=[submitted.pk]))
    assert "Withdrawn" in page.content.decode()


def test_viewing_a_claim_is_audited(patient_client, submitted):
    patient_client.get(reverse("intake:claim_detail", args=[submitted.pk]))

    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_type="intake.claim", object_id=str(submitted.pk)
    ).exists()


def _intake_urls(claim: Claim) -> list[tuple[str, str]]:
    urls = [
        ("get", reverse(name, args=[claim.pk]))
        for name in (
            "intake:claim_detail",
            "intake:claim_resume",
            "intake:claim_duplicate",
            "intake:claim_check",
            "intake:claim_confirmation",
            "intake:claim_withdraw",
        )
    ]
    urls += [("get", _step_url(claim, slug)) for slug in ("about-you", "provider", "losses")]
    urls += [
        ("post", _step_url(claim, "about-you")),
        ("post", reverse("intake:claim_check", args=[claim.pk])),
        ("post", reverse("intake:claim_duplicate", args=[claim.pk])),
        ("post", reverse("intake:claim_withdraw", args=[claim.pk])),
    ]
    return urls


@pytest.mark.parametrize("state", ["draft", "submitted"])
def test_another_patient_gets_404_and_an_audit_row_on_every_intake_url(request, state, patient):
    claim = request.getfixturevalue(state)
    before = {f.name: getattr(claim, f.attname) for f in Claim._meta.concrete_fields}
    intruder = UserFactory()
    client = _signed_in(intruder)

    for method, url in _intake_urls(claim):
        response = getattr(client, method)(url, ANSWERS["about-you"] if method == "post" else None)
        assert response.status_code == 404, (method, url)

    claim.refresh_from_db()
    assert {f.name: getattr(claim, f.attname) for f in Claim._meta.concrete_fields} == before
    refusals = AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=intruder)
    assert refusals.count() == len(_intake_urls(claim))


def test_insurer_staff_cannot_start_claims(client):
    adjuster = AdjusterFactory()
    staff_client = _signed_in(adjuster)

    response = staff_client.post(reverse("intake:claim_start"))

    assert response.status_code == 403
    assert not Claim.objects.exists()


def test_an_adjuster_not_assigned_cannot_see_a_submitted_claim(submitted):
    response = _signed_in(AdjusterFactory()).get(
        reverse("intake:claim_detail", args=[submitted.pk])
    )

    assert response.status_code == 404
