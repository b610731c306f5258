"""Offers from both sides: the insurer's rounds, the patient's answers (and an advocate's, when
allowed), the lapse and its warning, two answers at once, and the case pages' fixed cost."""

import datetime
import threading
import time
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from intake.models import Claim, ClaimStatus, ClaimStatusChange
from intake.services import ClaimError, TransitionNotPermitted
from notifications.models import Notification
from portal.errors import Refused
from portal.models import AuditAction, AuditEvent, User
from resolution import offers
from resolution.models import Offer, OfferState, Settlement
from tests.date_input_posts import date_parts
from tests.factories import (
    AdjusterFactory,
    ClaimFactory,
    CoverageFactory,
    TriageLeadFactory,
    UserFactory,
    authority_for,
)
from tests.portal.test_selectors import _signed_in
from tests.queries import queries_during
from tests.threads import in_thread, sessions_waiting_on_a_lock

pytestmark = pytest.mark.django_db

S = ClaimStatus
LOCK_TIMEOUT = 20
#: £8,000 + £2,000 general damages, £1,200 lost earnings: £11,200 in all.
BREAKDOWN = [
    {"head": "general_damages", "past": "8000", "future": "2000"},
    {"head": "earnings", "past": "1200.00", "future": ""},
]
TOTAL = Decimal("11200.00")


@dataclass
class World:
    patient: User
    adjuster: User
    lead: User
    colleague: User
    claim: Claim

    def refresh(self) -> Claim:
        self.claim.refresh_from_db()
        return self.claim


def make_world(status: str = S.UNDER_REVIEW, *, jurisdiction: str = "england-wales") -> World:
    coverage = CoverageFactory(provider__jurisdiction=jurisdiction)
    adjuster = AdjusterFactory(insurer=coverage.insurer)
    patient = UserFactory()
    claim = ClaimFactory(
        claimant=patient,
        status=status,
        provider=coverage.provider,
        insurer=coverage.insurer,
        assigned_adjuster=adjuster,
        submitted_at=timezone.now(),
        losses={"earnings": "1200.00", "travel": ""},
    )
    return World(
        patient=patient,
        adjuster=adjuster,
        lead=TriageLeadFactory(insurer=coverage.insurer),
        colleague=AdjusterFactory(insurer=coverage.insurer),
        claim=claim,
    )


@pytest.fixture
def world() -> World:
    return make_world()


def _offer(world: World, **kwargs) -> Offer:
    return offers.offer_make(
        claim=world.claim, adjuster=world.adjuster, breakdown=BREAKDOWN, **kwargs
    )


def _url(name: str, offer: Offer) -> str:
    return reverse(f"resolution:{name}", args=[offer.claim_id, offer.round])


def _case(client, claim) -> str:
    return client.get(reverse("intake:claim_detail", args=[claim.pk])).content.decode()


def _kinds_told(user: User) -> set[str]:
    return set(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def _refusals(user: User) -> int:
    return AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=user).count()


# --- The insurer's offer ------------------------------------------------------------------------


def test_an_offer_is_the_sum_of_its_parts_and_answered_by_the_jurisdictions_date():
    world = make_world(jurisdiction="denmark")  # 30 days to answer, not England's 21

    offer = _offer(world, terms="Full and final.")

    assert offer.round == 1
    assert offer.amount == TOTAL
    assert offer.breakdown == [
        {"head": "general_damages", "past": "8000.00", "future": "2000.00"},
        {"head": "earnings", "past": "1200.00", "future": "0.00"},
    ]
    assert offer.respond_by == timezone.localdate() + datetime.timedelta(days=30)
    assert offer.state == OfferState.OPEN
    assert world.refresh().status == S.OFFER_MADE
    assert "offer_made" in _kinds_told(world.patient)


@pytest.mark.parametrize(
    ("breakdown", "respond_in_days", "message"),
    [
        ([{"head": "general_damages", "past": "0", "future": ""}], 21, "more than £0"),
        ([{"head": "care", "past": "100", "future": "0"}], 21, "this claim's heads of loss"),
        ([{"head": "general_damages", "past": "-5", "future": "0"}], 21, "in pounds"),
        ([{"head": "general_damages", "past": "999999999", "future": "9"}], 21, "under £1,000"),
        (BREAKDOWN, 0, "in the future"),
    ],
)
def test_an_offer_that_does_not_add_up_or_is_due_today_is_refused(
    world, breakdown, respond_in_days, message
):
    respond_by = timezone.localdate() + datetime.timedelta(days=respond_in_days)

    with pytest.raises(ClaimError, match=message):
        offers.offer_make(
            claim=world.claim, adjuster=world.adjuster, breakdown=breakdown, respond_by=respond_by
        )

    assert world.refresh().status == S.UNDER_REVIEW
    assert not Offer.objects.exists()


def test_an_adjuster_not_on_the_claim_is_refused_and_audited(world):
    with pytest.raises(TransitionNotPermitted):
        offers.offer_make(claim=world.claim, adjuster=world.colleague, breakdown=BREAKDOWN)
    assert _refusals(world.colleague) == 1

    response = _signed_in(world.colleague).post(
        reverse("resolution:offer_make", args=[world.claim.pk]), {"general_damages_past": "10"}
    )

    assert response.status_code == 404
    assert _refusals(world.colleague) == 2
    assert world.refresh().status == S.UNDER_REVIEW
    assert not Offer.objects.exists()


def test_no_second_offer_while_one_waits_for_an_answer(world):
    _offer(world)

    with pytest.raises(ClaimError, match="after the patient has answered"):
        _offer(world)

    assert Offer.objects.count() == 1


def test_the_staff_page_offers_a_row_per_head_and_keeps_bad_input(world):
    adjuster = _signed_in(world.adjuster)

    page = adjuster.get(reverse("triage:claim_work", args=[world.claim.pk])).content.decode()
    response = adjuster.post(
        reverse("resolution:offer_make", args=[world.claim.pk]),
        {
            "general_damages_past": "12,000 pounds",
            "earnings_past": "1200",
            **date_parts("respond_by", "2001-01-01"),
        },
    )
    again = response.content.decode()

    assert "Make an offer" in page
    for name in (
        "general_damages_past",
        "general_damages_future",
        "earnings_past",
        "travel_future",
    ):
        assert f'name="{name}"' in page
    assert 'name="care_past"' not in page  # not a loss this patient listed
    assert response.status_code == 200
    assert "There is a problem" in again
    assert "Enter an amount in pounds, like 2500 or 2500.50" in again
    assert "Choose an answer-by date after today and within a year." in again
    assert 'value="12,000 pounds"' in again
    assert world.refresh().status == S.UNDER_REVIEW


# --- The patient's answers ----------------------------------------------------------------------


def test_the_patient_accepts_on_a_page_that_says_what_they_give_up(
    world, django_capture_on_commit_callbacks
):
    offer = _offer(world)
    patient = _signed_in(world.patient)

    case = _case(patient, world.claim)
    confirmation = patient.get(_url("offer_accept", offer)).content.decode()
    unticked = patient.post(_url("offer_accept", offer), {})
    with django_capture_on_commit_callbacks(execute=True):
        patient.post(_url("offer_accept", offer), {"understood": "on"})

    assert "The insurer offers you £11,200.00." in case
    assert _url("offer_accept", offer) in case
    assert "full and final settlement of this claim: you cannot claim more for this harm later" in (
        confirmation
    )
    assert "£11,200.00" in confirmation
    assert "Eleven thousand, two hundred pounds" in confirmation
    assert "Tick the box to confirm" in unticked.content.decode()
    settlement = Settlement.objects.get()
    assert (settlement.amount, settlement.agreed_by, settlement.offer) == (
        TOTAL,
        world.patient,
        offer,
    )
    offer.refresh_from_db()
    assert (offer.state, offer.answered_by) == (OfferState.ACCEPTED, world.patient)
    assert world.refresh().status == S.SETTLED
    assert "claim_settled" in _kinds_told(world.adjuster)


def test_the_patient_declines_with_reasons_and_the_adjuster_is_told_without_the_amount(
    world, django_capture_on_commit_callbacks
):
    offer = _offer(world)
    patient = _signed_in(world.patient)

    empty = patient.post(_url("offer_decline", offer), {"reasons": "  "}).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = patient.post(_url("offer_decline", offer), {"reasons": "It leaves out my care."})

    assert "Say why you are declining the offer." in empty
    assert done.url == reverse("intake:claim_detail", args=[world.claim.pk])
    offer.refresh_from_db()
    assert (offer.state, offer.answer_reasons) == (OfferState.DECLINED, "It leaves out my care.")
    assert world.refresh().status == S.OFFER_DECLINED
    assert "offer_declined" in _kinds_told(world.adjuster)
    emails = [m for m in mail.outbox if world.adjuster.email in m.to]
    assert emails
    for message in emails:
        text = message.subject + message.body
        assert "11,200" not in text and "11200" not in text and "care" not in text


def test_a_counter_proposal_then_a_revised_offer_then_acceptance(
    world, django_capture_on_commit_callbacks
):
    first = _offer(world)
    patient = _signed_in(world.patient)
    adjuster = _signed_in(world.adjuster)

    same = patient.post(
        _url("offer_counter", first), {"amount": "11200", "reasons": "My care costs."}
    ).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        patient.post(_url("offer_counter", first), {"amount": "15000", "reasons": "My care costs."})
    staff_page = adjuster.get(reverse("triage:claim_work", args=[world.claim.pk])).content.decode()
    adjuster.post(
        reverse("resolution:offer_make", args=[world.claim.pk]),
        {"general_damages_past": "9000", "general_damages_future": "4000", "earnings_past": "0"},
    )
    second = Offer.objects.get(round=2)
    patient.post(_url("offer_accept", second), {"understood": "on"})

    assert "To take it, accept the offer" in same
    assert "My care costs." in same  # what was typed is kept
    first.refresh_from_db()
    assert (first.state, first.counter_amount) == (OfferState.COUNTERED, Decimal("15000.00"))
    assert "offer_countered" in _kinds_told(world.adjuster)
    for message in (m for m in mail.outbox if world.adjuster.email in m.to):
        assert "15,000" not in message.body and "15000" not in message.body
    assert "Counter-proposal of £15,000.00" in staff_page
    assert "Make a revised offer" in staff_page
    assert 'name="general_damages_past" value="8000.00"' in staff_page  # starts from the last
    assert "Accept the counter-proposal" in staff_page
    assert reverse("triage:claim_action", args=[world.claim.pk, "deny"]) in staff_page
    assert second.amount == Decimal("13000.00")
    assert Settlement.objects.get().offer == second
    assert world.refresh().status == S.SETTLED


def test_the_insurer_accepts_the_counter_proposal_at_its_amount(world):
    offer = _offer(world)
    offers.offer_counter(offer=offer, user=world.patient, amount=Decimal("14000"), reasons="Care")

    response = _signed_in(world.lead).post(_url("offer_accept_counter", offer))

    assert response.url == reverse("triage:claim_work", args=[world.claim.pk])
    settlement = Settlement.objects.get()
    assert (settlement.amount, settlement.agreed_by) == (Decimal("14000.00"), world.lead)
    assert world.refresh().status == S.SETTLED
    with pytest.raises(ClaimError, match="no counter-proposal"):
        offers.offer_accept_counter(offer=offer, adjuster=world.adjuster)


def test_an_offer_past_its_date_cannot_be_answered(world):
    offer = _offer(world)
    Offer.objects.filter(pk=offer.pk).update(
        respond_by=timezone.localdate() - datetime.timedelta(days=1)
    )
    offer.refresh_from_db()

    with pytest.raises(ClaimError, match="can no longer be answered"):
        offers.offer_accept(offer=offer, user=world.patient)
    case = _case(_signed_in(world.patient), world.claim)

    assert "The date to answer the offer has passed" in case
    assert _url("offer_accept", offer) not in case
    assert not Settlement.objects.exists()


def test_after_an_answer_the_insurer_may_deny_the_claim_from_the_offers_part(world):
    offer = _offer(world)
    offers.offer_decline(offer=offer, user=world.patient, reasons="Too little.")
    adjuster = _signed_in(world.adjuster)

    adjuster.post(reverse("triage:claim_action", args=[world.claim.pk, "deny"]), {"reason": ""})
    unchanged = world.refresh().status
    adjuster.post(
        reverse("triage:claim_action", args=[world.claim.pk, "deny"]),
        {"reason": "The care met the standard expected."},
    )

    assert unchanged == S.OFFER_DECLINED
    assert world.refresh().status == S.DENIED


def test_an_advocate_following_only_the_status_does_not_read_the_patients_reasons(world):
    offer = _offer(world)
    offers.offer_decline(offer=offer, user=world.patient, reasons="My scar still hurts.")
    follower = authority_for(world.claim, may_view_documents=False, may_message=False)

    case = _case(_signed_in(follower), world.claim)

    assert "Offer 1: £11,200.00" in case
    assert "Declined by" in case
    assert "My scar still hurts." not in case
    assert "My scar still hurts." in _case(_signed_in(world.patient), world.claim)


# --- Who may answer -----------------------------------------------------------------------------


def test_an_advocate_without_the_scope_sees_the_offer_but_is_refused_with_403(world):
    offer = _offer(world)
    advocate = authority_for(world.claim, may_answer_offers=False)
    client = _signed_in(advocate)

    case = _case(client, world.claim)
    accept = client.get(_url("offer_accept", offer))
    decline = client.post(_url("offer_decline", offer), {"reasons": "Too little."})

    assert "The insurer offers your client £11,200.00." in case
    assert "an advocate they allow to answer offers, can answer this offer" in case
    assert _url("offer_accept", offer) not in case
    assert (accept.status_code, decline.status_code) == (403, 403)
    assert "Only the patient, or an advocate they allow to answer offers" in (
        accept.content.decode()
    )
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.ACCESS_REFUSED,
            actor=advocate,
            object_id=str(world.claim.pk),
            detail__reason="answer offer",
        ).count()
        == 2
    )
    with pytest.raises(Refused):
        offers.offer_accept(offer=offer, user=advocate)
    assert world.refresh().status == S.OFFER_MADE


def test_an_advocate_with_the_scope_answers_for_the_patient(world):
    offer = _offer(world)
    advocate = authority_for(world.claim, may_answer_offers=True)
    client = _signed_in(advocate)

    assert _url("offer_decline", offer) in _case(client, world.claim)
    client.post(_url("offer_decline", offer), {"reasons": "The patient wants more."})

    offer.refresh_from_db()
    assert (offer.state, offer.answered_by) == (OfferState.DECLINED, advocate)
    assert world.refresh().status == S.OFFER_DECLINED


def test_another_patient_gets_404_and_an_audit_row(world):
    offer = _offer(world)
    stranger = UserFactory()
    client = _signed_in(stranger)

    responses = [
        client.get(_url("offer_accept", offer)),
        client.post(_url("offer_accept", offer), {"understood": "on"}),
        client.post(_url("offer_counter", offer), {"amount": "1", "reasons": "x"}),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert _refusals(stranger) == 3
    assert world.refresh().status == S.OFFER_MADE


def test_the_adjuster_cannot_answer_for_the_patient(world):
    offer = _offer(world)

    with pytest.raises(Refused):
        offers.offer_accept(offer=offer, user=world.adjuster)

    assert _refusals(world.adjuster) == 1
    assert not Settlement.objects.exists()


# --- The lapse and its warning ------------------------------------------------------------------


def test_an_offer_lapses_the_day_after_its_date_once(world, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    offer = _offer(world, respond_by=today + datetime.timedelta(days=10))

    on_the_day = offers.offers_lapse_due(today=offer.respond_by)
    with django_capture_on_commit_callbacks(execute=True):
        the_day_after = offers.offers_lapse_due(today=offer.respond_by + datetime.timedelta(days=1))
    again = offers.offers_lapse_due(today=offer.respond_by + datetime.timedelta(days=2))

    assert (on_the_day, the_day_after, again) == (0, 1, 0)
    offer.refresh_from_db()
    assert offer.state == OfferState.LAPSED
    assert world.refresh().status == S.OFFER_LAPSED
    change = ClaimStatusChange.objects.get(to_status=S.OFFER_LAPSED)
    assert change.actor is None
    assert "offer_lapsed" in _kinds_told(world.patient)
    assert "offer_lapsed" in _kinds_told(world.adjuster)
    # Lapsed, it may be revised.
    assert _offer(world).round == 2


def test_the_patient_is_warned_once_from_the_jurisdictions_notice(
    world, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    offer = _offer(world, respond_by=today + datetime.timedelta(days=10))  # 7 days' notice

    early = offers.offers_warn_lapsing(today=today + datetime.timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        due = offers.offers_warn_lapsing(today=today + datetime.timedelta(days=3))
    again = offers.offers_warn_lapsing(today=today + datetime.timedelta(days=4))

    assert (early, due, again) == (0, 1, 0)
    offer.refresh_from_db()
    assert offer.lapse_warned_at is not None
    warnings = Notification.objects.filter(kind="offer_lapsing", recipient=world.patient)
    assert warnings.count() == 2  # in the portal and by email, once
    assert [m.to for m in mail.outbox if "ends soon" in m.subject] == [[world.patient.email]]


def test_the_beat_tasks_are_scheduled():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "resolution.offers_tasks.offers_lapse_due_task" in tasks
    assert "resolution.offers_tasks.offers_warn_lapsing_task" in tasks


# --- Two answers at once ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_two_acceptances_at_once_settle_once():
    world = make_world()
    offer = _offer(world)
    advocate = authority_for(world.claim, may_answer_offers=True)

    def accept(user):
        return lambda: offers.offer_accept(
            offer=Offer.objects.select_related("claim").get(pk=offer.pk), user=user
        )

    locked, release = threading.Event(), threading.Event()

    def hold_the_claim():  # another change to the claim, in flight while both answers arrive
        with transaction.atomic():
            Claim.objects.select_for_update().get(pk=world.claim.pk)
            locked.set()
            release.wait(LOCK_TIMEOUT)

    holder, _held = in_thread(hold_the_claim)
    assert locked.wait(LOCK_TIMEOUT)
    threads = [in_thread(accept(world.patient)), in_thread(accept(advocate))]
    deadline = time.monotonic() + LOCK_TIMEOUT
    while sessions_waiting_on_a_lock() < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sessions_waiting_on_a_lock() == 2  # both answers wait on the claim's row
    release.set()
    for thread in (holder, *(thread for thread, _outcome in threads)):
        thread.join(LOCK_TIMEOUT)

    outcomes = [outcome for _thread, outcome in threads]
    assert sorted("result" in o for o in outcomes) == [False, True]
    [lost] = [o["error"] for o in outcomes if "error" in o]
    assert isinstance(lost, ClaimError)
    assert "already been answered" in str(lost)
    assert Settlement.objects.count() == 1
    assert world.refresh().status == S.SETTLED


# --- The case pages cost the same however many rounds -------------------------------------------


def _rounds(world: World, count: int) -> None:
    """`count` rounds: each countered by the patient but the last, which waits for an answer."""
    Claim.objects.filter(pk=world.claim.pk).update(status=S.OFFER_MADE)
    for number in range(1, count + 1):
        last = number == count
        Offer.objects.create(
            claim=world.claim,
            round=number,
            made_by=world.adjuster,
            amount=Decimal(1000 * number),
            breakdown=[{"head": "general_damages", "past": f"{1000 * number}.00", "future": "0"}],
            respond_by=timezone.localdate() + datetime.timedelta(days=21),
            state=OfferState.OPEN if last else OfferState.COUNTERED,
            answered_by=None if last else world.patient,
            answered_at=None if last else timezone.now(),
            answer_reasons="" if last else "More, please.",
            counter_amount=None if last else Decimal("90000"),
        )


@pytest.mark.parametrize("side", ["patient", "staff"])
def test_the_case_pages_run_the_same_queries_for_one_round_as_for_five(side):
    counts = []
    for rounds in (1, 5):
        world = make_world()
        _rounds(world, rounds)
        user = world.patient if side == "patient" else world.adjuster
        client = _signed_in(user)
        name = "intake:claim_detail" if side == "patient" else "triage:claim_work"
        url = reverse(name, args=[world.claim.pk])
        client.get(url)  # the first request of a session warms what is cached per session
        counts.append(queries_during(lambda client=client, url=url: client.get(url)))
        page = client.get(url).content.decode()
        assert f"Offer {rounds}: £{1000 * rounds:,}.00" in page

    assert counts[0] == counts[1]
