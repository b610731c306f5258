"""Advocates' authorities: invitations, acceptance, the patient's changes, and every advocate
action tried from outside, as an advocate would: allowed within the scope, refused (404 where
the claim is not theirs to know, 403 with the reason where it is) and audited otherwise."""

import datetime
import re
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from documents import services as document_services
from intake.advocates import services as authorities
from intake.advocates.invitations import invitation_token
from intake.models import Authority, AuthorityStatus, Claim, ClaimStatus
from notifications.delivery import Outcome, notification_dispatch
from notifications.models import Channel, Notification
from portal.models import AuditAction, AuditEvent, Role, User
from tests.date_input_posts import date_parts
from tests.documents import samples
from tests.documents.conftest import stored, submitted_claim, upload
from tests.factories import (
    AdjusterFactory,
    AdvocateFactory,
    AuthorityFactory,
    ProviderFactory,
    UserFactory,
    authority_for,
    draft_answers,
)
from tests.portal.test_selectors import _signed_in

pytestmark = pytest.mark.django_db

ONLY_STATUS = {
    "may_view_documents": False,
    "may_upload_documents": False,
    "may_message": False,
    "receives_updates": False,
}
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def adjuster():
    return AdjusterFactory()


@pytest.fixture
def claim(adjuster):
    return submitted_claim(adjuster=adjuster)


def _case(claim):
    return reverse("intake:claim_detail", args=[claim.pk])


def _refusals(user, object_type="intake.claim") -> int:
    return AuditEvent.objects.filter(
        action=AuditAction.ACCESS_REFUSED, actor=user, object_type=object_type
    ).count()


def _deliver(**outbox_row) -> bool:
    """Send the outbox email matching `outbox_row` as its worker would; whether it went."""
    notification = Notification.objects.get(channel=Channel.EMAIL, **outbox_row)
    return notification_dispatch(notification_id=notification.pk).outcome == Outcome.SENT


def _view_audited(user, claim) -> bool:
    return AuditEvent.objects.filter(
        action=AuditAction.VIEW, actor=user, object_type="intake.claim", object_id=str(claim.pk)
    ).exists()


# --- Invitations --------------------------------------------------------------------------------


def test_a_patient_invites_an_advocate_who_accepts_and_then_follows_the_claim(claim):
    patient = claim.claimant
    client = _signed_in(patient)
    response = client.post(
        reverse("intake:authorities"),
        {
            "email": "solicitor@example.org",
            "claim": str(claim.pk),
            "scopes": ["may_message", "receives_updates"],
            "expires_on": "",
        },
    )
    assert response.status_code == 302
    authority = Authority.objects.get(patient=patient)
    assert authority.claim == claim and authority.may_message and not authority.may_view_documents
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(authority.pk))

    assert _deliver(kind="advocate_invitation", recipient_email="solicitor@example.org")
    (email,) = mail.outbox
    assert email.to == ["solicitor@example.org"]
    link = re.search(r"https?://\S+/claims/invitations/\S+/", email.body).group(0)
    assert claim.reference not in email.body + email.subject

    advocate = AdvocateFactory(email="solicitor@example.org")
    advocate_client = _signed_in(advocate)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = advocate_client.get("/" + path)
    assert page.status_code == 200
    assert patient.get_full_name() in page.content.decode()
    assert advocate_client.post("/" + path).status_code == 302

    authority.refresh_from_db()
    assert authority.advocate == advocate and authority.state() == "active"
    assert advocate_client.get(_case(claim)).status_code == 200
    assert _view_audited(advocate, claim)
    granted = Notification.objects.get(recipient=advocate, channel=Channel.IN_APP)
    assert granted.kind == "authority_granted"


def test_an_invitation_is_refused_to_another_address_a_patient_and_after_it_is_withdrawn(claim):
    authority = AuthorityFactory(
        patient=claim.claimant,
        advocate=None,
        accepted_at=None,
        invited_email="invited@example.org",
        invitation_expires_at=timezone.now() + datetime.timedelta(days=14),
    )
    stranger = AdvocateFactory(email="someone-else@example.org")
    with pytest.raises(authorities.AuthorityError, match="another email address"):
        authorities.authority_accept(authority=authority, advocate=stranger)
    assert _refusals(stranger, "intake.authority") == 1
    with pytest.raises(authorities.AuthorityError, match="advocate account"):
        authorities.authority_accept(authority=authority, advocate=UserFactory())

    authorities.authority_end(authority=authority, patient=claim.claimant)
    invited = AdvocateFactory(email="invited@example.org")
    with pytest.raises(authorities.AuthorityError, match="has ended"):
        authorities.authority_accept(authority=authority, advocate=invited)
    token = invitation_token(authority)
    page = _signed_in(invited).get(reverse("intake:authority_accept", args=[token]))
    assert page.status_code == 404
    assert "This invitation has ended" in page.content.decode()
    assert not Notification.objects.filter(recipient=invited).exists()


def test_a_forged_invitation_link_shows_the_ended_page():
    advocate = AdvocateFactory()
    response = _signed_in(advocate).get(
        reverse("intake:authority_accept", args=[f"{uuid.uuid4()}:forged:signature"])
    )
    assert response.status_code == 404


def test_the_invitation_form_says_what_to_fix_and_saves_nothing(claim):
    client = _signed_in(claim.claimant)
    response = client.post(
        reverse("intake:authorities"),
        {"email": "not an address", "claim": "all", **date_parts("expires_on", "2001-01-01")},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter an email address like name@example.com." in body
    assert "The last day must be today or in the future." in body
    assert not Authority.objects.exists()


# --- What each scope allows, tried from outside -------------------------------------------------


def test_an_advocate_with_no_authority_is_refused_as_if_the_claim_did_not_exist(claim):
    advocate = AdvocateFactory()
    client = _signed_in(advocate)
    assert client.get(_case(claim)).status_code == 404
    assert (
        client.post(reverse("intake:claim_message", args=[claim.pk]), {"body": "Hi"}).status_code
        == 404
    )
    assert client.get(reverse("documents:upload", args=[claim.pk])).status_code == 404
    assert client.get(reverse("intake:claim_detail", args=[uuid.uuid4()])).status_code == 404
    assert _refusals(advocate) == 4


def test_an_authority_over_another_patients_claims_opens_nothing_here(claim):
    advocate = AdvocateFactory()
    AuthorityFactory(advocate=advocate)  # all the claims of some other patient
    assert _signed_in(advocate).get(_case(claim)).status_code == 404


def test_a_view_only_advocate_sees_the_status_but_not_answers_thread_or_documents(claim):
    advocate = authority_for(claim, **ONLY_STATUS)
    document = stored(claim, samples.pdf(), name="records.pdf")
    client = _signed_in(advocate)

    page = client.get(_case(claim))
    assert page.status_code == 200
    body = page.content.decode()
    assert claim.reference in body
    assert "Your client has not allowed you to see the documents" in body
    assert "records.pdf" not in body
    assert 'id="messages-heading"' not in body and 'id="answers-heading"' not in body

    download = client.get(reverse("documents:download", args=[document.pk]))
    assert download.status_code == 403
    assert "does not include their documents" in download.content.decode()
    poll = client.get(reverse("documents:status", args=[claim.pk]))
    assert poll.status_code == 403
    refused_upload = upload(client, claim, [("scan.pdf", samples.pdf())])
    assert refused_upload.status_code == 403
    assert "ask them to allow you to send documents" in refused_upload.content.decode()
    assert claim.documents.count() == 1
    message = client.post(reverse("intake:claim_message", args=[claim.pk]), {"body": "Hello"})
    assert message.status_code == 403
    assert "allow you to message" in message.content.decode()
    assert not claim.messages.exists()
    assert _refusals(advocate) + _refusals(advocate, "documents.document") == 4


def test_an_advocate_with_every_scope_downloads_uploads_and_answers_a_request(
    claim, adjuster, django_capture_on_commit_callbacks
):
    advocate = authority_for(claim)
    client = _signed_in(advocate)
    document = stored(claim, samples.pdf(), name="records.pdf")
    with django_capture_on_commit_callbacks(execute=True):
        document_services.document_scan_run(document_id=document.pk)

    assert client.get(reverse("documents:download", args=[document.pk])).status_code == 302
    assert upload(client, claim, [("scan.pdf", samples.pdf())]).status_code == 302
    assert claim.documents.count() == 2

    from triage.services import claim_request_information

    claim_request_information(
        claim=claim,
        adjuster=adjuster,
        body="Send the discharge letter.",
        due_date=timezone.localdate() + datetime.timedelta(days=14),
    )
    page = client.get(_case(claim)).content.decode()
    assert "Send my answer" in page
    client.post(reverse("intake:claim_message", args=[claim.pk]), {"body": "Sent above."})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.UNDER_REVIEW
    assert claim.messages.filter(author=advocate, body="Sent above.").exists()


def test_an_expired_authority_ends_after_its_last_day(claim):
    last_day = datetime.date(2026, 12, 1)
    advocate = authority_for(claim, expires_on=last_day)
    with time_machine.travel(datetime.datetime(2026, 12, 1, 23, 30, tzinfo=LONDON), tick=False):
        assert _signed_in(advocate).get(_case(claim)).status_code == 200
    with time_machine.travel(datetime.datetime(2026, 12, 2, 0, 30, tzinfo=LONDON), tick=False):
        client = _signed_in(advocate)
        assert client.get(_case(claim)).status_code == 404
        dashboard = client.get(reverse("dashboard")).content.decode()
    assert claim.reference not in dashboard
    assert "the authority ran until 1 December 2026" in dashboard


def test_revoking_ends_access_at_the_advocates_next_request_and_tells_them(claim):
    advocate = authority_for(claim)
    client = _signed_in(advocate)
    assert client.get(_case(claim)).status_code == 200
    authority = Authority.objects.get(advocate=advocate)

    patient_client = _signed_in(claim.claimant)
    url = reverse("intake:authority_end", args=[authority.pk])
    # The list's link asks first; a post without the confirmation ends nothing.
    asked = patient_client.get(url).content.decode()
    assert "Are you sure you want to end this authority?" in asked
    assert patient_client.post(url).status_code == 200
    assert client.get(_case(claim)).status_code == 200
    response = patient_client.post(url, {"confirm": "end"})
    assert response.status_code == 302

    # The same session, a replayed message form, a document poll: all refused now.
    assert client.get(_case(claim)).status_code == 404
    replay = client.post(reverse("intake:claim_message", args=[claim.pk]), {"body": "Again"})
    assert replay.status_code == 404
    assert client.get(reverse("documents:status", args=[claim.pk])).status_code == 404
    assert not claim.messages.exists()
    told = Notification.objects.get(recipient=advocate, channel=Channel.IN_APP)
    assert told.kind == "authority_revoked"
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "Authorities that have ended" in dashboard
    assert AuditEvent.objects.filter(
        action=AuditAction.CHANGE, actor=claim.claimant, object_id=str(authority.pk)
    ).exists()


def test_a_patient_narrows_the_scope_and_the_advocate_loses_the_documents(claim):
    advocate = authority_for(claim)
    document = stored(claim, samples.pdf())
    authority = Authority.objects.get(advocate=advocate)
    patient_client = _signed_in(claim.claimant)
    response = patient_client.post(
        reverse("intake:authority_change", args=[authority.pk]),
        {"scopes": ["receives_updates"], "expires_on": ""},
    )
    assert response.status_code == 302
    authority.refresh_from_db()
    assert authority.receives_updates and not authority.may_view_documents
    client = _signed_in(advocate)
    assert client.get(reverse("documents:download", args=[document.pk])).status_code == 403
    assert Notification.objects.filter(recipient=advocate, kind="authority_changed").exists()


def test_nobody_but_the_granting_patient_may_change_or_end_an_authority(claim):
    advocate = authority_for(claim)
    authority = Authority.objects.get(advocate=advocate)
    # Another patient is told nothing exists; the advocate, no patient, may not manage any.
    for intruder, status in ((UserFactory(), 404), (advocate, 403)):
        client = _signed_in(intruder)
        end = client.post(reverse("intake:authority_end", args=[authority.pk]), {"confirm": "end"})
        change = client.post(
            reverse("intake:authority_change", args=[authority.pk]),
            {"scopes": ["may_view_documents"]},
        )
        assert (end.status_code, change.status_code) == (status, status)
        assert _refusals(intruder, "intake.authority") == 2
    authority.refresh_from_db()
    assert authority.revoked_at is None and authority.may_message


# --- Notifications ------------------------------------------------------------------------------


def _acknowledge(claim, adjuster):
    from intake.services import claim_transition

    claim.status = ClaimStatus.ASSIGNED
    claim.save(update_fields=["status"])
    claim_transition(claim=claim, to_status=ClaimStatus.UNDER_REVIEW, actor=adjuster)


def test_updates_reach_an_advocate_only_while_their_authority_includes_them(claim, adjuster):
    with_updates = authority_for(claim)
    without_updates = authority_for(claim, receives_updates=False)
    revoked = authority_for(claim, revoked_at=timezone.now())

    _acknowledge(claim, adjuster)

    told = set(
        Notification.objects.filter(kind="claim_acknowledged", channel=Channel.IN_APP).values_list(
            "recipient", flat=True
        )
    )
    assert with_updates.pk in told
    assert without_updates.pk not in told and revoked.pk not in told
    email = Notification.objects.get(
        kind="claim_acknowledged", channel=Channel.EMAIL, recipient=with_updates
    )
    assert email.title == "A claim you follow has been acknowledged"


# --- Filing on a patient's behalf ---------------------------------------------------------------


def test_an_unverified_advocate_cannot_file_on_behalf():
    advocate = AdvocateFactory()
    client = _signed_in(advocate)
    response = client.post(
        reverse("intake:claim_start_on_behalf"),
        {"full_name": "Sam Lee", "email": "sam@example.org", "holds_signed_form": "on"},
    )
    assert response.status_code == 403
    assert "Only a verified advocate can file" in response.content.decode()
    assert not Claim.objects.exists() and not User.objects.filter(email="sam@example.org")
    assert _refusals(advocate) == 1


def _verified_advocate():
    return AdvocateFactory(advocate_verified_at=timezone.now())


def _file_for(client, email, full_name="Sam Lee"):
    return client.post(
        reverse("intake:claim_start_on_behalf"),
        {"full_name": full_name, "email": email, "holds_signed_form": "on"},
    )


def test_a_verified_advocate_files_for_a_new_patient_who_is_invited_to_take_over():
    advocate = _verified_advocate()
    client = _signed_in(advocate)
    response = _file_for(client, "sam@example.org")
    claim = Claim.objects.get(filed_by=advocate)
    assert response.status_code == 302 and response.headers["Location"] == reverse("dashboard")
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert reverse("intake:claim_resume", args=[claim.pk]) in dashboard
    patient = claim.claimant
    assert patient.email == "sam@example.org" and patient.role == Role.PATIENT
    assert not patient.has_usable_password()
    assert claim.authority_status == AuthorityStatus.TO_VERIFY
    assert Authority.objects.in_force().get(claim=claim).advocate == advocate

    _deliver(kind="account_takeover", recipient=patient)
    (email,) = mail.outbox
    assert email.to == ["sam@example.org"]
    assert "Hello Sam" in email.body
    # The patient follows the link, chooses a password and is then signed in to their account,
    # where they see the advocate's authority.
    link = re.search(r"https?://\S+(/accounts/password/reset/key/\S+/)", email.body).group(1)
    patient_client = Client()
    form_page = patient_client.get(link, follow=True)
    patient_client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": "A-new-pass-2026!", "password2": "A-new-pass-2026!"},
    )
    signed_in = Client()
    signed_in.post(
        reverse("account_login"), {"login": "sam@example.org", "password": "A-new-pass-2026!"}
    )
    page = signed_in.get(reverse("intake:authorities"))
    assert page.status_code == 200
    assert advocate.get_full_name() in page.content.decode()


def _answer(response, email: str) -> tuple:
    """What the advocate is told: the status, where it leads and the message, address aside."""
    told = [str(message).replace(email, "<address>") for message in response.context["messages"]]
    return response.status_code, response.redirect_chain, told


def test_filing_on_behalf_answers_the_same_whether_or_not_the_address_has_an_account():
    advocate = _verified_advocate()
    existing = UserFactory(email="known@example.org")
    staff = AdjusterFactory(email="staff@example.org")
    client = _signed_in(advocate)
    answers = set()
    for email in ("new@example.org", existing.email, staff.email, "KNOWN@example.org"):
        response = client.post(
            reverse("intake:claim_start_on_behalf"),
            {"full_name": "Someone", "email": email, "holds_signed_form": "on"},
            follow=True,
        )
        answers.add(repr(_answer(response, email)))
    assert len(answers) == 1
    assert "We have emailed <address>." in answers.pop()
    # Only the new address got an account and a draft; nothing went into an existing account.
    assert Claim.objects.get().claimant.email == "new@example.org"
    assert not Claim.objects.filter(claimant__in=[existing, staff]).exists()
    assert _refusals(advocate, "portal.user") == 3


@pytest.fixture
def tasks_run_here():
    """Run queued tasks in this process (Celery's eager mode), not on the broker."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def test_a_patient_with_an_account_is_asked_to_invite_the_advocate(
    django_capture_on_commit_callbacks, tasks_run_here
):
    advocate = _verified_advocate()
    existing = UserFactory(email="known@example.org", full_name="Kim Known")
    staff = AdjusterFactory(email="staff@example.org")
    client = _signed_in(advocate)
    with django_capture_on_commit_callbacks(execute=True):
        _file_for(client, "Known@Example.org")
        _file_for(client, staff.email)

    (email,) = mail.outbox  # staff cannot invite an advocate, so they are sent nothing
    assert email.to == [existing.email]
    assert advocate.get_full_name() in email.subject
    assert advocate.email in email.body and "Your advocates" in email.body
    assert reverse("intake:authorities") in email.body
    assert "Sam Lee" not in email.body  # nothing the advocate typed about the patient
    assert not Authority.objects.filter(patient=existing).exists()


def test_filing_on_behalf_is_limited_per_advocate_and_keeps_what_was_typed(settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "file_on_behalf": "2/h/user"}
    advocate = _verified_advocate()
    client = _signed_in(advocate)
    assert _file_for(client, "one@example.org").status_code == 302
    assert _file_for(client, "two@example.org").status_code == 302

    refused = _file_for(client, "three@example.org", full_name="Third Patient")

    assert refused.status_code == 429
    body = refused.content.decode()
    assert "as many claims for patients as the portal allows in 1 hour" in body
    assert 'value="three@example.org"' in body and 'value="Third Patient"' in body
    assert not User.objects.filter(email="three@example.org").exists()
    # Another advocate has their own allowance.
    assert _file_for(_signed_in(_verified_advocate()), "three@example.org").status_code == 302


def test_invitations_are_limited_per_patient_and_keep_what_was_typed(claim, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "authority_invite": "2/h/user"}
    client = _signed_in(claim.claimant)

    def invite(email):
        return client.post(
            reverse("intake:authorities"),
            {"email": email, "claim": str(claim.pk), "scopes": ["may_message"], "expires_on": ""},
        )

    assert invite("a@example.org").status_code == 302
    assert invite("b@example.org").status_code == 302
    refused = invite("c@example.org")

    assert refused.status_code == 429
    body = refused.content.decode()
    assert "as many invitations as the portal allows in 1 hour" in body
    assert 'value="c@example.org"' in body
    assert re.search(r'value="may_message"[^>]*checked', body)
    assert not Authority.objects.filter(invited_email="c@example.org").exists()


def test_a_claim_filed_on_behalf_needs_the_authority_form_before_it_is_sent():
    advocate = _verified_advocate()
    claim = authorities.claim_start_on_behalf(
        advocate=advocate, full_name="Sam Lee", email="sam@example.org"
    )
    Claim.objects.filter(pk=claim.pk).update(provider=ProviderFactory(), **draft_answers())
    client = _signed_in(advocate)
    check = reverse("intake:claim_check", args=[claim.pk])

    refused = client.post(check, follow=True)
    assert "signed authority form before you submit" in refused.content.decode()
    assert Claim.objects.get(pk=claim.pk).is_draft

    sent = upload(
        client, claim, [("authority.pdf", samples.pdf())], categories={1: "authority_form"}
    )
    assert sent.status_code == 302 and sent.headers["Location"] == check
    assert client.post(check).status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED and claim.reference


def test_the_adjuster_checks_the_authority_before_working_the_claim(claim, adjuster):
    advocate = _verified_advocate()
    claim.filed_by = advocate
    claim.authority_status = AuthorityStatus.TO_VERIFY
    claim.status = ClaimStatus.ASSIGNED
    claim.save()
    authority_for(claim, advocate=advocate)
    staff = _signed_in(adjuster)

    acknowledge = reverse("triage:claim_action", args=[claim.pk, "acknowledge"])
    refused = staff.post(acknowledge, follow=True)
    assert "authority form before you start work" in refused.content.decode()
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.ASSIGNED

    missing_reason = staff.post(
        reverse("triage:claim_authority", args=[claim.pk]), {"decision": "reject"}
    )
    assert "Say why the authority form is not valid." in missing_reason.content.decode()
    staff.post(reverse("triage:claim_authority", args=[claim.pk]), {"decision": "verify"})
    claim.refresh_from_db()
    assert claim.authority_status == AuthorityStatus.VERIFIED
    staff.post(acknowledge)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.UNDER_REVIEW


def test_a_rejected_authority_form_ends_the_advocates_access(claim, adjuster):
    advocate = _verified_advocate()
    claim.filed_by = advocate
    claim.authority_status = AuthorityStatus.TO_VERIFY
    claim.save()
    authority_for(claim, advocate=advocate)
    authorities.claim_authority_decide(
        claim=claim, user=adjuster, verified=False, reason="Not signed."
    )
    assert _signed_in(advocate).get(_case(claim)).status_code == 404
    assert Notification.objects.filter(recipient=advocate, kind="authority_revoked").exists()


def test_only_the_insurer_on_the_claim_may_check_its_authority(claim):
    claim.authority_status = AuthorityStatus.TO_VERIFY
    claim.save()
    other = AdjusterFactory()
    response = _signed_in(other).post(
        reverse("triage:claim_authority", args=[claim.pk]), {"decision": "verify"}
    )
    assert response.status_code == 404
    assert Claim.objects.get(pk=claim.pk).authority_status == AuthorityStatus.TO_VERIFY


# --- The advocate dashboard ---------------------------------------------------------------------


def test_the_dashboard_lists_every_clients_claim_with_filters(adjuster):
    advocate = AdvocateFactory()
    first = submitted_claim(adjuster=adjuster, status=ClaimStatus.INFORMATION_REQUESTED)
    second = submitted_claim(status=ClaimStatus.SETTLED)
    hidden = submitted_claim()
    authority_for(first, advocate=advocate)
    AuthorityFactory(patient=second.claimant, advocate=advocate)  # all of that patient's claims
    client = _signed_in(advocate)

    page = client.get(reverse("dashboard")).content.decode()
    assert first.reference in page and second.reference in page
    assert hidden.reference not in page
    assert _view_audited(advocate, first) and _view_audited(advocate, second)

    action = client.get(reverse("dashboard"), {"status": "action"}).content.decode()
    assert first.reference in action and second.reference not in action
    by_client = client.get(reverse("dashboard"), {"client": second.claimant.pk}).content.decode()
    assert second.reference in by_client and first.reference not in by_client


def test_the_patients_case_page_names_who_acts_for_them_and_invites_from_that_claim(claim):
    advocate = authority_for(claim)
    ended = authority_for(claim, revoked_at=timezone.now())
    client = _signed_in(claim.claimant)
    page = client.get(_case(claim)).content.decode()
    assert advocate.get_full_name() in page and ended.get_full_name() not in page

    invite = client.get(reverse("intake:authorities"), {"claim": str(claim.pk)}).content.decode()
    assert re.search(rf'value="{claim.pk}"[^>]*checked', invite)


@pytest.mark.parametrize("authority", ["none", "expired", "revoked"])
def test_without_an_authority_in_force_every_document_and_message_door_answers_404(
    claim, authority
):
    advocate = AdvocateFactory()
    if authority == "expired":
        authority_for(claim, advocate=advocate, expires_on=timezone.localdate() - ONE_DAY)
    elif authority == "revoked":
        authority_for(claim, advocate=advocate, revoked_at=timezone.now())
    document = stored(claim, samples.pdf())
    client = _signed_in(advocate)

    assert client.get(reverse("documents:download", args=[document.pk])).status_code == 404
    assert client.get(reverse("documents:status", args=[claim.pk])).status_code == 404
    assert upload(client, claim, [("scan.pdf", samples.pdf())]).status_code == 404
    message = client.post(reverse("intake:claim_message", args=[claim.pk]), {"body": "Hi"})
    assert message.status_code == 404
    assert claim.documents.count() == 1 and not claim.messages.exists()
    assert _refusals(advocate) + _refusals(advocate, "documents.document") == 4


ONE_DAY = datetime.timedelta(days=1)


def test_an_advocates_download_is_audited(claim, django_capture_on_commit_callbacks):
    advocate = authority_for(claim)
    document = stored(claim, samples.pdf())
    with django_capture_on_commit_callbacks(execute=True):
        document_services.document_scan_run(document_id=document.pk)
    _signed_in(advocate).get(reverse("documents:download", args=[document.pk]))
    assert AuditEvent.objects.filter(
        action=AuditAction.VIEW, actor=advocate, object_id=str(document.pk)
    ).exists()


def test_a_tampered_invitation_for_another_patients_claim_is_refused(claim):
    me = UserFactory()
    response = _signed_in(me).post(
        reverse("intake:authorities"),
        {"email": "solicitor@example.org", "claim": str(claim.pk), "scopes": ["may_message"]},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Authority.objects.exists()


def test_an_invitation_lapses_after_fourteen_days_and_cannot_be_accepted_twice(claim):
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=LONDON), tick=False):
        authority = authorities.authority_invite(
            patient=claim.claimant,
            email="solicitor@example.org",
            claim=None,
            scopes={"receives_updates": True},
            expires_on=None,
        )
        token = invitation_token(authority)
    advocate = AdvocateFactory(email="solicitor@example.org")
    path = reverse("intake:authority_accept", args=[token])
    with time_machine.travel(datetime.datetime(2026, 12, 15, 10, 0, tzinfo=LONDON), tick=False):
        page = _signed_in(advocate).get(path)
        assert page.status_code == 404
    with time_machine.travel(datetime.datetime(2026, 12, 14, 10, 0, tzinfo=LONDON), tick=False):
        assert _signed_in(advocate).post(path).status_code == 302
        other = AdvocateFactory()
        # A second advocate holding the forwarded link sees nothing and accepts nothing.
        second = _signed_in(other)
        assert second.get(path).status_code == 404
        assert second.post(path).status_code == 404
    authority.refresh_from_db()
    assert authority.advocate == advocate


def test_after_revocation_the_notification_centre_shows_nothing_of_the_claim(claim, adjuster):
    advocate = authority_for(claim)
    _acknowledge(claim, adjuster)
    client = _signed_in(advocate)
    assert claim.reference in client.get(reverse("notifications:centre")).content.decode()
    authorities.authority_end(
        authority=Authority.objects.get(advocate=advocate), patient=claim.claimant
    )
    centre = client.get(reverse("notifications:centre")).content.decode()
    assert claim.reference not in centre
    assert "A patient has ended your authority" in centre


def test_an_email_still_waiting_when_the_authority_ends_is_never_sent(claim, adjuster, settings):
    from notifications.models import State

    settings.NOTIFICATIONS_DELIVER_IN_PROCESS = False  # the broker was down: the email waits
    advocate = authority_for(claim)
    _acknowledge(claim, adjuster)
    waiting = Notification.objects.get(recipient=advocate, channel=Channel.EMAIL)
    authorities.authority_end(
        authority=Authority.objects.get(advocate=advocate), patient=claim.claimant
    )
    mail.outbox.clear()

    notification_dispatch(notification_id=waiting.pk)

    waiting.refresh_from_db()
    assert waiting.state == State.WITHDRAWN
    assert not [m for m in mail.outbox if advocate.email in m.to]
