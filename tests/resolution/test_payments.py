"""Settlement and payment from outside: bank details encrypted at rest and shown masked, the
audited reveal, key rotation, payments that close the claim only when everything agreed is
paid, refusals with clear messages, and the reserve the patient's side never sees."""

import datetime
import os
import re
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from intake.models import Claim, ClaimStatus, ClaimStatusChange
from notifications.models import Notification
from portal.errors import Refused
from portal.models import AuditAction, AuditEvent
from resolution import encryption, payments
from resolution.checks import bank_details_keys_check
from resolution.models import BankDetails, Payment, Reserve
from tests.date_input_posts import date_parts
from tests.factories import AdvocateFactory, authority_for
from tests.portal.test_selectors import _signed_in
from tests.queries import queries_during
from tests.resolution.factories_payments import InsurerWorld
from tests.threads import in_thread, sessions_waiting_on_a_lock

pytestmark = pytest.mark.django_db

NAME, SORT_CODE, ACCOUNT = "Jo Bloggs", "30-94-57", "31926819"
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ours():
    return InsurerWorld("Asha Patel")


@pytest.fixture
def theirs():
    return InsurerWorld("Ben Okoro")


@pytest.fixture
def settlement(ours):
    return ours.settled_claim("10000.00")


def _give(settlement, user=None, **values):
    claim = settlement.claim
    return payments.bank_details_give(
        claim=claim,
        user=user or claim.claimant,
        **{"account_name": NAME, "sort_code": SORT_CODE, "account_number": ACCOUNT, **values},
    )


def _pay(settlement, adjuster, amount: str, reference: str, **values):
    return payments.payment_record(
        settlement=settlement,
        adjuster=adjuster,
        amount=Decimal(amount),
        paid_on=values.pop("paid_on", timezone.localdate()),
        method=values.pop("method", "bank_transfer"),
        finance_reference=reference,
    )


def _payment_post(client, claim, amount: str, reference: str, paid_on=None):
    return client.post(
        reverse("resolution:payment_record", args=[claim.pk]),
        {
            "amount": amount,
            **date_parts("paid_on", paid_on or timezone.localdate()),
            "method": "bank_transfer",
            "finance_reference": reference,
        },
    )


def _text(response) -> str:
    return response.content.decode()


def _views_of_bank_details(user, kind: str):
    return AuditEvent.objects.filter(
        action=AuditAction.VIEW, actor=user, detail={"bank_details": kind}
    )


# --- Bank details at rest ------------------------------------------------------------------------


def test_bank_details_are_encrypted_in_the_database(settlement):
    _give(settlement)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT account_name_encrypted, sort_code_encrypted, account_number_encrypted "
            "FROM resolution_bankdetails WHERE claim_id = %s",
            # The claim's id as this database stores it (SQLite keeps UUIDs as hex text).
            [Claim._meta.pk.get_db_prep_value(settlement.claim_id, connection)],
        )
        raw = " ".join(cursor.fetchone())
    assert "31926819" not in raw
    assert "309457" not in raw
    assert "6819" not in raw
    assert "Bloggs" not in raw
    details = BankDetails.objects.get(claim=settlement.claim)
    assert encryption.decrypt(details.account_number_encrypted) == ACCOUNT
    assert encryption.decrypt(details.sort_code_encrypted) == "309457"


def test_an_old_key_still_decrypts_after_a_new_key_is_put_first(settings, settlement):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.BANK_DETAILS_KEYS = [old]
    _give(settlement)
    stored = BankDetails.objects.get(claim=settlement.claim).account_number_encrypted

    settings.BANK_DETAILS_KEYS = [new, old]
    assert encryption.decrypt(stored) == ACCOUNT
    # New values are encrypted with the new key alone.
    assert Fernet(new.encode()).decrypt(encryption.encrypt("12345678").encode()) == b"12345678"

    call_command("bank_details_rotate")
    settings.BANK_DETAILS_KEYS = [new]
    rotated = BankDetails.objects.get(claim=settlement.claim)
    assert payments.bank_details_masked(rotated).account_number == "****6819"
    settings.BANK_DETAILS_KEYS = [old]
    with pytest.raises(encryption.BankDetailsUnreadable):
        encryption.decrypt(rotated.account_number_encrypted)


def test_the_development_key_is_derived_from_the_secret_key(settings):
    settings.BANK_DETAILS_KEYS = []
    token = encryption.encrypt("12345678")
    assert encryption.decrypt(token) == "12345678"

    settings.SECRET_KEY = "another-secret-key-entirely-" + "x" * 30
    with pytest.raises(encryption.BankDetailsUnreadable):
        encryption.decrypt(token)


# --- The patient gives bank details -------------------------------------------------------------


def test_the_patient_gives_bank_details_and_then_sees_them_masked_only(settlement):
    patient = settlement.claim.claimant
    client = _signed_in(patient)
    case_page = reverse("intake:claim_detail", args=[settlement.claim_id])
    assert "Give your bank details" in _text(client.get(case_page))

    response = client.post(
        reverse("resolution:bank_details_give", args=[settlement.claim_id]),
        {"account_name": NAME, "sort_code": "30 94 57", "account_number": "3192 6819"},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == case_page
    page = _text(client.get(case_page))
    assert "****6819" in page
    assert "**-**-57" in page
    assert "J****" in page
    assert "31926819" not in page
    assert "30-94-57" not in page
    assert NAME not in page
    assert _views_of_bank_details(patient, "masked").count() == 1


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("sort_code", "30-94-5", "Enter the sort code as 6 digits, like 30-94-57."),
        ("sort_code", "30-94-5x", "Enter the sort code as 6 digits, like 30-94-57."),
        ("account_number", "3192681", "Enter the account number as 8 digits, like 31926819."),
        ("account_number", "", "Enter the account number."),
        ("account_name", "\u200b ", "Enter the name on the bank account."),
    ],
)
def test_wrong_bank_details_are_refused_with_a_message_and_nothing_typed_is_lost(
    settlement, field, typed, message
):
    client = _signed_in(settlement.claim.claimant)
    values = {"account_name": NAME, "sort_code": SORT_CODE, "account_number": ACCOUNT}

    response = client.post(
        reverse("resolution:bank_details_give", args=[settlement.claim_id]),
        {**values, field: typed},
    )

    assert response.status_code == 200
    page = _text(response)
    assert "There is a problem" in page
    assert message in page
    for name, value in values.items():
        if name != field:
            assert f'value="{value}"' in page
    assert not BankDetails.objects.exists()


def test_bank_details_can_be_replaced_until_a_payment_is_recorded(ours, settlement):
    _give(settlement)
    _give(settlement, account_number="12345678")
    details = BankDetails.objects.get(claim=settlement.claim)
    assert encryption.decrypt(details.account_number_encrypted) == "12345678"

    _pay(settlement, ours.adjuster, "100.00", "FIN-1")
    with pytest.raises(payments.PaymentError, match="already been made"):
        _give(settlement, account_number="87654321")

    client = _signed_in(settlement.claim.claimant)
    response = client.get(reverse("resolution:bank_details_give", args=[settlement.claim_id]))
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert "A payment has already been made to the bank details you gave" in page


def test_bank_details_wait_for_a_settlement(ours):
    claim = ours.claim(status=ClaimStatus.OFFER_MADE)
    with pytest.raises(payments.PaymentError, match="once an offer has been accepted"):
        payments.bank_details_give(
            claim=claim, user=claim.claimant, account_name=NAME, sort_code="309457",
            account_number=ACCOUNT,
        )  # fmt: skip


def test_an_advocate_gives_bank_details_only_with_authority_to_answer_offers(settlement):
    claim = settlement.claim
    limited = authority_for(claim, may_answer_offers=False)
    allowed = authority_for(claim, may_answer_offers=True)
    url = reverse("resolution:bank_details_give", args=[claim.pk])
    values = {"account_name": NAME, "sort_code": SORT_CODE, "account_number": ACCOUNT}

    response = _signed_in(limited).post(url, values)
    assert response.status_code == 403
    assert "allowed to answer offers" in _text(response)
    assert AuditEvent.objects.filter(
        action=AuditAction.ACCESS_REFUSED, actor=limited, detail={"reason": "bank details"}
    ).exists()
    assert not BankDetails.objects.exists()

    assert _signed_in(allowed).post(url, values).status_code == 302
    assert BankDetails.objects.get(claim=claim).given_by == allowed


# --- The insurer's side: masked, and the audited reveal -----------------------------------------


def test_staff_see_bank_details_masked_on_the_claim_page_and_the_view_is_audited(ours, settlement):
    _give(settlement)

    page = _text(
        _signed_in(ours.adjuster).get(reverse("triage:claim_work", args=[settlement.claim_id]))
    )

    assert "****6819" in page
    assert "**-**-57" in page
    assert "31926819" not in page
    assert "Show full bank details" in page
    assert _views_of_bank_details(ours.adjuster, "masked").count() == 1


def test_revealing_bank_details_shows_them_on_an_uncached_page_and_writes_an_audit_row(
    ours, settlement
):
    _give(settlement)
    client = _signed_in(ours.adjuster)
    url = reverse("resolution:bank_details_reveal", args=[settlement.claim_id])

    assert client.get(url).status_code == 405
    response = client.post(url)

    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    page = _text(response)
    assert ACCOUNT in page
    assert SORT_CODE in page
    assert NAME in page
    reveal = _views_of_bank_details(ours.adjuster, "revealed").get()
    assert reveal.object_id == str(settlement.claim_id)
    assert reveal.object_type == "intake.claim"
    # No audit row holds the values.
    logged = " ".join(str(row.detail) for row in AuditEvent.objects.all())
    assert "6819" not in logged
    assert "309457" not in logged


def test_the_patient_cannot_reveal_bank_details_through_the_staff_page(settlement):
    _give(settlement)
    patient = settlement.claim.claimant

    response = _signed_in(patient).post(
        reverse("resolution:bank_details_reveal", args=[settlement.claim_id])
    )

    assert response.status_code == 403
    assert not _views_of_bank_details(patient, "revealed").exists()


# --- Payments -----------------------------------------------------------------------------------


def test_the_claim_closes_only_when_everything_agreed_is_paid(ours, settlement):
    claim = settlement.claim
    client = _signed_in(ours.adjuster)

    response = _payment_post(client, claim, "4000", "FIN-1001")
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SETTLED

    response = _payment_post(client, claim, "6000.00", "FIN-1002")
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CLOSED
    closing = ClaimStatusChange.objects.get(claim=claim, to_status=ClaimStatus.CLOSED)
    assert closing.from_status == ClaimStatus.SETTLED
    assert closing.actor is None
    assert closing.reason == "Paid in full"
    assert Payment.objects.filter(settlement=settlement).count() == 2
    page = _text(client.get(response.headers["Location"]))
    assert "Everything agreed is now paid: the claim is closed." in page


def test_each_payment_tells_the_patient_without_the_amount(
    ours, settlement, django_capture_on_commit_callbacks
):
    patient = settlement.claim.claimant
    with django_capture_on_commit_callbacks(execute=True):
        _pay(settlement, ours.adjuster, "2500.00", "FIN-1")

    told = Notification.objects.filter(recipient=patient, kind="payment_made")
    assert {row.channel for row in told} >= {"email"}
    emails = [message for message in mail.outbox if patient.email in message.to]
    assert emails
    for message in emails:
        text = (
            message.subject
            + message.body
            + "".join(str(content) for content, _type in getattr(message, "alternatives", []))
        )
        assert "2500" not in text
        assert "2,500" not in text
        assert "£" not in text


def test_more_than_is_owed_is_refused_with_the_amount_outstanding(ours, settlement):
    _pay(settlement, ours.adjuster, "4000.00", "FIN-1")
    client = _signed_in(ours.adjuster)

    response = _payment_post(client, settlement.claim, "7000", "FIN-2")

    assert response.status_code == 200
    page = _text(response)
    assert "That is more than is still owed: £6,000.00 is outstanding." in page
    assert 'value="7000"' in page
    assert 'value="FIN-2"' in page
    assert Payment.objects.count() == 1
    settlement.claim.refresh_from_db()
    assert settlement.claim.status == ClaimStatus.SETTLED


def test_a_repeated_finance_reference_is_refused_cleanly(ours, settlement):
    client = _signed_in(ours.adjuster)
    assert _payment_post(client, settlement.claim, "1000", "FIN-77").status_code == 302

    response = _payment_post(client, settlement.claim, "1000", "FIN-77")

    assert response.status_code == 200
    assert "A payment with the finance reference “FIN-77” is already recorded" in _text(response)
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "days_ago", "reference", "message"),
    [
        ("0", 0, "FIN-1", "Enter the amount paid in pounds, more than 0, like 2500.50."),
        ("12.345", 0, "FIN-1", "Enter pounds and pence, like 2500.50."),
        ("100", -1, "FIN-1", "The date paid cannot be in the future."),
        ("100", 30, "FIN-1", "The date paid cannot be before the settlement was agreed"),
        ("100", 0, "  ", "Enter the finance system&#x27;s reference for this payment."),
    ],
)
def test_a_wrong_payment_is_refused_with_a_message(
    ours, settlement, amount, days_ago, reference, message
):
    paid_on = timezone.localdate() - datetime.timedelta(days=days_ago)

    response = _payment_post(
        _signed_in(ours.adjuster), settlement.claim, amount, reference, paid_on
    )

    assert response.status_code == 200
    assert message in _text(response)
    assert not Payment.objects.exists()


def test_payments_wait_for_a_settled_claim(ours, settlement):
    claim = settlement.claim
    claim.status = ClaimStatus.REVIEW_REQUESTED
    claim.save(update_fields=["status"])

    with pytest.raises(payments.PaymentError, match="only while the claim is settled"):
        _pay(settlement, ours.adjuster, "100.00", "FIN-1")
    assert not Payment.objects.exists()


def _staff_urls(claim) -> list[tuple[str, str, dict]]:
    pk = claim.pk
    payment = {"amount": "10", **date_parts("paid_on", timezone.localdate()),
               "method": "bank_transfer", "finance_reference": "X"}  # fmt: skip
    return [
        ("get", reverse("resolution:payment_record", args=[pk]), {}),
        ("post", reverse("resolution:payment_record", args=[pk]), payment),
        ("get", reverse("resolution:reserve_set", args=[pk]), {}),
        ("post", reverse("resolution:reserve_set", args=[pk]), {"amount": "5", "reason": "x"}),
        ("post", reverse("resolution:bank_details_reveal", args=[pk]), {}),
    ]


@pytest.mark.parametrize("who", ["adjuster", "lead"])
def test_another_insurers_staff_get_404_and_an_audit_row(ours, theirs, settlement, who):
    _give(settlement)
    intruder = getattr(theirs, who)
    client = _signed_in(intruder)

    for method, url, data in _staff_urls(settlement.claim):
        assert getattr(client, method)(url, data).status_code == 404, (method, url)

    refused = AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=intruder)
    assert refused.count() == len(_staff_urls(settlement.claim))
    assert not Payment.objects.exists()
    assert not Reserve.objects.exists()
    assert not _views_of_bank_details(intruder, "revealed").exists()


def test_another_insurers_adjuster_is_refused_by_the_services_too(theirs, settlement):
    with pytest.raises(Refused):
        _pay(settlement, theirs.adjuster, "100.00", "FIN-1")
    assert AuditEvent.objects.filter(
        action=AuditAction.ACCESS_REFUSED, actor=theirs.adjuster, detail={"reason": "payment"}
    ).exists()


@pytest.mark.parametrize("side", ["patient", "advocate"])
def test_the_patients_side_cannot_record_payments_or_see_reserves(ours, settlement, side):
    claim = settlement.claim
    payments.reserve_set(
        claim=claim, adjuster=ours.adjuster, amount=Decimal("48250.00"), reason="Care costs"
    )
    person = claim.claimant if side == "patient" else authority_for(claim, may_answer_offers=True)
    client = _signed_in(person)

    for method, url, data in _staff_urls(claim):
        assert getattr(client, method)(url, data).status_code == 403, (method, url)
    page = _text(client.get(reverse("intake:claim_detail", args=[claim.pk])))

    assert "48,250" not in page
    assert "Care costs" not in page
    assert "Reserve" not in page
    assert not Payment.objects.exists()
    assert Reserve.objects.count() == 1


# --- What the patient reads ---------------------------------------------------------------------


def test_the_patient_reads_waiting_for_payment_then_paid(ours, settlement):
    claim = settlement.claim
    client = _signed_in(claim.claimant)
    case_page = reverse("intake:claim_detail", args=[claim.pk])
    agreed_on = timezone.localtime(settlement.agreed_at).date()

    page = _text(client.get(case_page))
    assert f"Agreed: £10,000.00 on {agreed_on:%-d %B %Y}" in page
    assert "Waiting for payment" in page

    first_day = timezone.localdate() - datetime.timedelta(days=2)
    _pay(settlement, ours.adjuster, "4000.00", "FIN-1", paid_on=first_day)
    page = _text(client.get(case_page))
    assert "Waiting for payment" in page
    assert "£4,000.00 paid so far; £6,000.00 still to be paid." in page

    _pay(settlement, ours.adjuster, "6000.00", "FIN-2")
    page = _text(client.get(case_page))
    assert "Waiting for payment" not in page
    assert "<strong>Paid</strong>" in page
    assert f"Paid in full on {timezone.localdate():%-d %B %Y}" in page
    assert re.search(r"£4,000\.00.*£6,000\.00", page, flags=re.DOTALL)


# --- The reserve --------------------------------------------------------------------------------


def test_the_reserve_keeps_its_history_with_reasons(ours, settlement):
    claim = settlement.claim
    client = _signed_in(ours.adjuster)
    url = reverse("resolution:reserve_set", args=[claim.pk])

    assert client.post(url, {"amount": "25000", "reason": "Initial estimate"}).status_code == 302
    assert client.post(url, {"amount": "31500.50", "reason": "Care report"}).status_code == 302

    history = list(Reserve.objects.filter(claim=claim))
    assert [(r.amount, r.reason) for r in history] == [
        (Decimal("31500.50"), "Care report"),
        (Decimal("25000.00"), "Initial estimate"),
    ]
    assert all(r.set_by == ours.adjuster for r in history)
    page = _text(client.get(reverse("triage:claim_work", args=[claim.pk])))
    assert re.search(r"Current reserve:\s*<strong>£31,500\.50</strong>", page)
    assert "Initial estimate" in page
    assert "Care report" in page


def test_a_reserve_without_a_reason_is_refused_and_the_amount_kept(ours, settlement):
    client = _signed_in(ours.adjuster)

    response = client.post(
        reverse("resolution:reserve_set", args=[settlement.claim_id]),
        {"amount": "25000", "reason": " "},
    )

    assert response.status_code == 200
    assert "Give the reason for the reserve." in _text(response)
    assert 'value="25000"' in _text(response)
    assert not Reserve.objects.exists()


def test_a_reserve_is_set_in_any_open_status_but_not_on_a_closed_claim(ours):
    open_claim = ours.claim(status=ClaimStatus.UNDER_REVIEW)
    payments.reserve_set(
        claim=open_claim, adjuster=ours.adjuster, amount=Decimal("100"), reason="First look"
    )
    closed = ours.claim(status=ClaimStatus.CLOSED)
    with pytest.raises(payments.PaymentError, match="only while the claim is open"):
        payments.reserve_set(
            claim=closed, adjuster=ours.adjuster, amount=Decimal("100"), reason="Late"
        )
    assert Reserve.objects.count() == 1


# --- Fixed queries ------------------------------------------------------------------------------


def _render(tag: str, claim, user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return Template(f"{{% load resolution_payments %}}{{% {tag} claim %}}").render(
        Context({"request": request, "claim": claim})
    )


@pytest.mark.parametrize(
    ("tag", "who"), [("staff_payments", "staff"), ("claim_payments", "advocate")]
)
def test_the_panels_take_the_same_queries_however_many_payments_and_reserves(ours, tag, who):
    few, many = ours.settled_claim("10000.00"), ours.settled_claim("10000.00")
    for settlement, count in ((few, 1), (many, 12)):
        _give(settlement)
        for n in range(count):
            _pay(settlement, ours.adjuster, "10.00", f"FIN-{n}")
            payments.reserve_set(
                claim=settlement.claim, adjuster=ours.adjuster, amount=Decimal(n), reason=f"r{n}"
            )
    advocate = AdvocateFactory()
    for settlement in (few, many):
        authority_for(settlement.claim, advocate=advocate, may_answer_offers=True)
    user = ours.adjuster if who == "staff" else advocate

    counts = [
        queries_during(lambda claim=settlement.claim: _render(tag, claim, user))
        for settlement in (few, many)
    ]

    assert counts[0] == counts[1]
    assert "****6819" in _render(tag, many.claim, user)


# --- The production check -----------------------------------------------------------------------


def test_production_without_a_key_of_its_own_fails_the_system_check(settings):
    settings.BANK_DETAILS_DEVELOPMENT_KEY = False
    settings.BANK_DETAILS_KEYS = []
    assert encryption.keys_problem() == encryption.MISSING_KEY

    [error] = bank_details_keys_check(None)
    assert error.id == "resolution.E001"
    assert "BANK_DETAILS_KEYS is not set" in error.msg
    with pytest.raises(Exception, match="BANK_DETAILS_KEYS is not set"):
        encryption.encrypt("12345678")

    settings.BANK_DETAILS_KEYS = ["not-a-key"]
    [error] = bank_details_keys_check(None)
    assert "Key 1 of BANK_DETAILS_KEYS is not a Fernet key" in error.msg

    settings.BANK_DETAILS_KEYS = [Fernet.generate_key().decode()]
    assert bank_details_keys_check(None) == []


def test_manage_py_refuses_to_run_with_debug_off_and_no_key():
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "false",
        "PORTAL_IGNORE_DOTENV": "true",
        "BANK_DETAILS_KEYS": "",
    }
    check = [sys.executable, "manage.py", "check"]

    refused = subprocess.run(  # noqa: S603 - our own manage.py
        check, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode != 0
    assert "resolution.E001" in refused.stderr
    assert "BANK_DETAILS_KEYS is not set" in refused.stderr

    environment["BANK_DETAILS_KEYS"] = Fernet.generate_key().decode()
    passed = subprocess.run(  # noqa: S603 - our own manage.py
        check, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert passed.returncode == 0, passed.stderr


# --- Two people paying at once ------------------------------------------------------------------

LOCK_TIMEOUT = 30


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_two_people_paying_the_rest_at_once_pay_it_once():
    world = InsurerWorld()
    settlement = world.settled_claim("10000.00")
    locked, release = threading.Event(), threading.Event()

    def first_payer():  # has recorded the rest, and not yet committed
        with transaction.atomic():
            _pay(settlement, world.adjuster, "10000.00", "FIN-A")
            locked.set()
            release.wait(LOCK_TIMEOUT)

    first, _ = in_thread(first_payer)
    assert locked.wait(LOCK_TIMEOUT)
    second, outcome = in_thread(lambda: _pay(settlement, world.lead, "10000.00", "FIN-B"))
    deadline = time.monotonic() + LOCK_TIMEOUT
    while sessions_waiting_on_a_lock() == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sessions_waiting_on_a_lock() == 1
    release.set()
    first.join(LOCK_TIMEOUT)
    second.join(LOCK_TIMEOUT)

    assert isinstance(outcome.get("error"), payments.PaymentError), outcome
    assert "only while the claim is settled" in str(outcome["error"])
    assert list(Payment.objects.values_list("finance_reference", flat=True)) == ["FIN-A"]
    settlement.claim.refresh_from_db()
    assert settlement.claim.status == ClaimStatus.CLOSED


def test_bank_details_no_key_can_read_leave_the_pages_working_and_say_so(
    settings, ours, settlement
):
    settings.BANK_DETAILS_KEYS = [Fernet.generate_key().decode()]
    _give(settlement)
    settings.BANK_DETAILS_KEYS = [Fernet.generate_key().decode()]  # the old key removed too soon
    client = _signed_in(ours.adjuster)

    page = _text(client.get(reverse("triage:claim_work", args=[settlement.claim_id])))
    assert "These bank details cannot be read with the encryption keys configured now." in page
    response = client.post(reverse("resolution:bank_details_reveal", args=[settlement.claim_id]))
    assert response.status_code == 302
    assert "cannot be read" in _text(client.get(response.headers["Location"]))
    assert not _views_of_bank_details(ours.adjuster, "revealed").exists()
