"""The resources through the access doors: another insurer's objects are 404 on every endpoint
and method (audited), moves go through the lifecycle with If-Match, every POST is idempotent."""

import datetime
import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from intake.models import ClaimStatus
from portal.models import AuditAction, AuditEvent
from tests.api.conftest import connect, etag_of
from tests.factories import ClaimFactory, InsurerFactory
from triage.models import ClaimNote

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.urls")]

DOC = "00000000-0000-0000-0000-000000000001"
#: Every endpoint under a claim, with its methods.
ENDPOINTS = [
    ("", ["get"]),
    ("timeline/", ["get"]),
    ("documents/", ["get"]),
    (f"documents/{DOC}/", ["get"]),
    (f"documents/{DOC}/download/", ["get"]),
    ("messages/", ["get", "post"]),
    ("information-requests/", ["get", "post"]),
    ("notes/", ["get", "post"]),
    ("assignment/", ["post"]),
    ("acknowledge/", ["post"]),
    ("deny/", ["post"]),
    ("close/", ["post"]),
    ("reopen/", ["post"]),
    ("offers/", ["get", "post"]),
    ("settle/", ["post"]),
    ("reserves/", ["get", "post"]),
    ("payments/", ["get", "post"]),
]


def _post(connected, path, data=None, *, key=None, etag=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key or str(uuid.uuid4())}
    if etag:
        headers["HTTP_IF_MATCH"] = etag
    return connected.http.post(path, data or {}, format="json", **headers)


@pytest.mark.parametrize(("suffix", "methods"), ENDPOINTS)
def test_another_insurers_claim_is_404_on_every_endpoint_and_method(suffix, methods, claim):
    stranger = connect(InsurerFactory())
    for method in methods:
        if method == "get":
            response = stranger.http.get(f"/api/v1/claims/{claim.pk}/{suffix}")
        else:
            response = _post(stranger, f"/api/v1/claims/{claim.pk}/{suffix}", etag='W/"x"')
        assert response.status_code == 404, (method, suffix, response.content)
        assert response["Content-Type"].startswith("application/problem+json")
    refusals = AuditEvent.objects.filter(
        action=AuditAction.ACCESS_REFUSED, actor=stranger.client.service_user
    )
    assert refusals.count() == len(methods)
    assert set(refusals.values_list("object_id", flat=True)) == {str(claim.pk)}


def test_another_insurers_claims_are_not_listed(claim, connected):
    other = ClaimFactory(status=ClaimStatus.ASSIGNED, insurer=InsurerFactory())
    ClaimFactory(insurer=connected.client.insurer)  # a draft: the patient's alone
    ids = [row["id"] for row in connected.http.get("/api/v1/claims/").json()["results"]]
    assert ids == [str(claim.pk)]
    assert str(other.pk) not in ids


def test_another_insurers_document_is_404_under_ones_own_claim(claim, connected):
    from tests.test_access import _document

    theirs = ClaimFactory(status=ClaimStatus.ASSIGNED, insurer=InsurerFactory())
    document = _document(theirs, theirs.claimant)
    response = connected.http.get(f"/api/v1/claims/{claim.pk}/documents/{document.pk}/")
    assert response.status_code == 404


def test_the_list_audits_a_view_of_each_claim_shown(claim, connected):
    connected.http.get("/api/v1/claims/")
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_id=str(claim.pk), actor=connected.client.service_user
    ).exists()


def test_the_detail_has_the_answers_and_audits_the_claim_and_the_patient(claim, connected):
    response = connected.http.get(f"/api/v1/claims/{claim.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["answers"]["description"] == claim.description
    assert body["etag"] == response["ETag"]
    viewed = set(
        AuditEvent.objects.filter(action=AuditAction.VIEW).values_list("object_type", "object_id")
    )
    assert ("intake.claim", str(claim.pk)) in viewed
    assert ("portal.user", str(claim.claimant_id)) in viewed


def test_filters_and_cursor_pagination(connected, insurer):
    claims = [ClaimFactory(status=ClaimStatus.UNDER_REVIEW, insurer=insurer) for _ in range(5)]
    ClaimFactory(status=ClaimStatus.DENIED, insurer=insurer)
    seen, url = [], "/api/v1/claims/?status=under_review&page_size=2"
    while url:
        page = connected.http.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(str(c.pk) for c in claims)
    assert len(seen) == len(set(seen))


def test_a_bad_filter_is_400_with_the_field_named(connected):
    response = connected.http.get("/api/v1/claims/?updated_since=yesterday")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "updated_since"


def test_acknowledge_moves_the_claim_through_the_lifecycle(claim, connected):
    etag = etag_of(connected, claim)
    response = _post(connected, f"/api/v1/claims/{claim.pk}/acknowledge/", etag=etag)
    assert response.status_code == 200, response.content
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.UNDER_REVIEW
    assert claim.status_changes.get().actor == connected.client.service_user
    assert response["ETag"] != etag


def test_a_move_the_lifecycle_refuses_is_a_problem_with_its_message(claim, connected):
    response = _post(connected, f"/api/v1/claims/{claim.pk}/close/", etag=etag_of(connected, claim))
    assert response.status_code == 409
    assert "cannot become" in response.json()["detail"]


def test_deny_needs_a_reason(claim, connected):
    claim.status = ClaimStatus.UNDER_REVIEW
    claim.save()
    response = _post(connected, f"/api/v1/claims/{claim.pk}/deny/", etag=etag_of(connected, claim))
    assert response.status_code == 422
    assert response.json()["detail"] == "Give a reason for this change."


def test_an_update_without_if_match_is_428_and_a_stale_one_412(claim, connected):
    path = f"/api/v1/claims/{claim.pk}/acknowledge/"
    assert _post(connected, path).status_code == 428
    stale = etag_of(connected, claim)
    claim.priority = 3
    claim.save()
    response = _post(connected, path, etag=stale)
    assert response.status_code == 412
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ASSIGNED


def test_a_post_without_idempotency_key_is_428(claim, connected):
    response = connected.http.post(
        f"/api/v1/claims/{claim.pk}/notes/", {"body": "Call back"}, format="json"
    )
    assert response.status_code == 428
    assert not ClaimNote.objects.exists()


def test_the_same_post_twice_makes_one_change_and_answers_the_same(claim, connected):
    path = f"/api/v1/claims/{claim.pk}/notes/"
    first = _post(connected, path, {"body": "Call back"}, key="note-1")
    second = _post(connected, path, {"body": "Call back"}, key="note-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert ClaimNote.objects.filter(claim=claim).count() == 1


def test_a_key_reused_for_a_different_request_is_422(claim, connected):
    path = f"/api/v1/claims/{claim.pk}/notes/"
    _post(connected, path, {"body": "Call back"}, key="note-1")
    response = _post(connected, path, {"body": "Something else"}, key="note-1")
    assert response.status_code == 422
    assert ClaimNote.objects.filter(claim=claim).count() == 1


def test_a_refused_move_repeated_with_its_key_is_refused_the_same_without_redoing(claim, connected):
    path = f"/api/v1/claims/{claim.pk}/close/"
    etag = etag_of(connected, claim)
    first = _post(connected, path, key="close-1", etag=etag)
    second = _post(connected, path, key="close-1", etag=etag)
    assert first.status_code == second.status_code == 409
    assert second["Content-Type"].startswith("application/problem+json")


def test_one_key_per_client_two_clients_may_use_the_same(claim, connected, insurer):
    other = connect(insurer)
    path = f"/api/v1/claims/{claim.pk}/notes/"
    _post(connected, path, {"body": "One"}, key="same")
    _post(other, path, {"body": "One"}, key="same")
    assert ClaimNote.objects.filter(claim=claim).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_with_one_key_make_one_change(claim, connected):
    path = f"/api/v1/claims/{claim.pk}/messages/"
    claim.status = ClaimStatus.UNDER_REVIEW
    claim.save()
    barrier = threading.Barrier(2)
    answers = []

    def send():
        try:
            barrier.wait()
            response = _post(connected, path, {"body": "Please call"}, key="message-1")
            answers.append((response.status_code, response.json()["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [code for code, _id in answers] == [201, 201]
    assert answers[0][1] == answers[1][1]
    assert claim.messages.count() == 1


def test_information_request_through_the_triage_service(claim, connected):
    claim.status = ClaimStatus.UNDER_REVIEW
    claim.save()
    due = (timezone.localdate() + datetime.timedelta(days=14)).isoformat()
    response = _post(
        connected,
        f"/api/v1/claims/{claim.pk}/information-requests/",
        {"body": "Send the discharge letter.", "due_date": due},
        etag=etag_of(connected, claim),
    )
    assert response.status_code == 201, response.content
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.INFORMATION_REQUESTED
    listed = connected.http.get(f"/api/v1/claims/{claim.pk}/information-requests/").json()
    assert listed[0]["body"] == "Send the discharge letter."


def test_an_offer_then_the_reserve(claim, connected):
    claim.status = ClaimStatus.UNDER_REVIEW
    claim.save()
    response = _post(
        connected,
        f"/api/v1/claims/{claim.pk}/offers/",
        {"breakdown": [{"head": "general_damages", "past": "2500.00", "future": "0"}]},
        etag=etag_of(connected, claim),
    )
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "2500.00"
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.OFFER_MADE
    response = _post(
        connected,
        f"/api/v1/claims/{claim.pk}/reserves/",
        {"amount": "3000.00", "reason": "Offer made"},
        etag=etag_of(connected, claim),
    )
    assert response.status_code == 201, response.content
    assert connected.http.get(f"/api/v1/claims/{claim.pk}/reserves/").json()[0]["amount"] == (
        "3000.00"
    )


def test_settle_without_a_counter_proposal_is_refused(claim, connected):
    response = _post(
        connected, f"/api/v1/claims/{claim.pk}/settle/", etag=etag_of(connected, claim)
    )
    assert response.status_code in (409, 422)


def test_a_read_only_client_cannot_change_a_claim_even_past_the_scope_check(insurer, claim):
    """The access door itself refuses: the service user lacks the write permission."""
    from intake import access

    reader = connect(insurer, scopes=["claims:read"])
    assert access.claim_may_view(reader.client.service_user, claim)
    assert not access.claim_may_work(reader.client.service_user, claim)
