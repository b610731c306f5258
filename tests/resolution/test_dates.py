"""The dates a patient can see: what happens next on their claim and by when, as they (or their
advocate, or the insurer's staff) read it on the case page; the jurisdiction's limits on the
insurer's own dates; and the missed date told once."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Claim, ClaimMessage, ClaimStatus, ClaimStatusChange, InformationRequest
from notifications.models import Channel, Notification
from portal.models import AuditAction, AuditEvent, JurisdictionProfile
from resolution.dates import State, Turn, Voice, claim_dates, claim_dates_read
from resolution.models import Offer, OfferState, Review, ReviewOutcome
from tests.factories import (
    AdjusterFactory,
    AdjusterProfileFactory,
    AdministratorFactory,
    AdvocateFactory,
    AuthorityFactory,
    ClaimFactory,
    CoverageFactory,
    InsurerFactory,
    ProviderFactory,
    RoutingRuleFactory,
    TeamFactory,
    TriageLeadFactory,
    UserFactory,
)
from tests.portal.test_accounts import sign_in
from tests.queries import queries_during
from triage.services import claim_assign, claim_route, claims_flag_overdue

pytestmark = pytest.mark.django_db

S = ClaimStatus
SENT_ON = datetime.date(2027, 2, 15)  # a Monday
SENT_AT = datetime.datetime(2027, 2, 15, 10, 0, tzinfo=datetime.UTC)
# Health details: distinctive, so an email that leaks them is caught.
DESCRIPTION = "The surgeon left a swab inside the abdomen after the appendectomy."
HEALTH_WORDS = (DESCRIPTION, "swab", "appendectomy")


@pytest.fixture
def sent_today(monkeypatch):
    """Routing counts the insurer's business days from the local day: make it the day the claim
    was sent, so the dates can be checked. Dates of moments (the claim's sending) still convert."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return SENT_ON if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)


def _signed_in(user) -> Client:
    client = Client()
    sign_in(client, user)  # with a second factor for the roles that need one
    assert "_auth_user_id" in client.session
    return client


def _routable(jurisdiction: str, *, days_to_acknowledge: int, days_to_decide: int) -> Claim:
    """A claim sent on SENT_ON about a provider in `jurisdiction`, whose insurer's default rule
    promises the given business days, with an adjuster to take it."""
    insurer = InsurerFactory()
    provider = ProviderFactory(jurisdiction=jurisdiction)
    CoverageFactory(provider=provider, insurer=insurer)
    team = TeamFactory(insurer=insurer)
    RoutingRuleFactory(
        insurer=insurer,
        team=team,
        is_default=True,
        days_to_acknowledge=days_to_acknowledge,
        days_to_decide=days_to_decide,
    )
    adjuster = AdjusterFactory(insurer=insurer)
    AdjusterProfileFactory(user=adjuster)
    team.members.add(adjuster)
    return _claim(provider=provider, status=S.SUBMITTED, consent_to_records=True)


def _claim(**fields) -> Claim:
    defaults = {
        "status": S.ASSIGNED,
        "provider": fields.pop("provider", None) or ProviderFactory(),
        "incident_date": datetime.date(2026, 6, 1),
        "harm_category": "surgical",
        "severity": "moderate",
        "description": DESCRIPTION,
        "submitted_at": SENT_AT,
    }
    return ClaimFactory(**{**defaults, **fields})


def _routed(claim: Claim) -> Claim:
    claim_route(claim_id=str(claim.pk))
    claim.refresh_from_db()
    assert claim.status == S.ASSIGNED
    return claim


def _by_kind(claim: Claim, *, today: datetime.date, voice: Voice = Voice.PATIENT) -> dict:
    return {item.kind: item for item in claim_dates(claim, today=today, voice=voice)}


# --- The jurisdiction's limits on the insurer's dates ------------------------------------------


def test_england_and_wales_gives_14_days_4_months_and_40_days_for_records():
    claim = _claim(status=S.SUBMITTED, consent_to_records=True)  # not routed yet: no rule's dates

    items = _by_kind(claim, today=SENT_ON)

    assert items["acknowledge"].due == datetime.date(2027, 3, 1)  # 14 days
    assert items["decide"].due == datetime.date(2027, 6, 15)  # 4 months
    assert items["records"].due == datetime.date(2027, 3, 27)  # 40 days
    assert {item.state for item in items.values()} == {State.DUE}
    assert items["acknowledge"].says == "The insurer must acknowledge your claim by 1 March 2027."
    assert items["decide"].says.startswith(
        "The insurer must give you a reasoned response by 15 June 2027"
    )


def test_no_records_date_without_the_patients_consent_to_records():
    claim = _claim(status=S.SUBMITTED, consent_to_records=False)

    assert "records" not in _by_kind(claim, today=SENT_ON)


def test_an_insurer_rule_shorter_than_the_protocol_wins(sent_today):
    claim = _routed(_routable("england-wales", days_to_acknowledge=2, days_to_decide=10))

    assert claim.acknowledge_by == datetime.date(2027, 2, 17)  # 2 business days
    assert claim.decide_by == datetime.date(2027, 3, 1)  # 10 business days
    items = _by_kind(claim, today=SENT_ON)
    assert (items["acknowledge"].due, items["decide"].due) == (
        claim.acknowledge_by,
        claim.decide_by,
    )


def test_an_insurer_rule_longer_than_the_protocol_is_capped(sent_today):
    claim = _routed(_routable("england-wales", days_to_acknowledge=20, days_to_decide=200))

    assert claim.acknowledge_by == datetime.date(2027, 3, 1)  # 14 days, not 20 business days
    assert claim.decide_by == datetime.date(2027, 6, 15)  # 4 months, not 200 business days


def test_a_lead_taking_a_claim_by_hand_gets_capped_dates_too(sent_today):
    claim = _routable("england-wales", days_to_acknowledge=30, days_to_decide=300)
    claim.insurer = claim.provider.coverages.get().insurer
    claim.status = S.NEEDS_TRIAGE
    claim.save()
    lead = TriageLeadFactory(insurer=claim.insurer)
    team = claim.insurer.teams.get()
    adjuster = team.members.get()

    claim_assign(claim=claim, lead=lead, reason="Ours", adjuster=adjuster, team=team)

    claim.refresh_from_db()
    assert (claim.acknowledge_by, claim.decide_by) == (
        datetime.date(2027, 3, 1),
        datetime.date(2027, 6, 15),
    )


# --- Administrators configure other jurisdictions ----------------------------------------------


def _profile_form(profile: JurisdictionProfile, **changes) -> dict:
    fields = [
        "name",
        "code",
        "rules_source",
        "days_to_acknowledge",
        "months_to_respond",
        "days_for_records",
        "days_to_answer_offer",
        "days_notice_before_lapse",
        "months_to_ask_for_review",
        "days_to_decide_review",
    ]
    return {**{field: getattr(profile, field) for field in fields}, **changes}


def test_a_profile_configured_in_the_admin_changes_a_claims_dates(sent_today):
    admin = _signed_in(AdministratorFactory())
    denmark = JurisdictionProfile.objects.get(code="denmark")
    listing = admin.get(reverse("admin:portal_jurisdictionprofile_changelist"))
    assert listing.status_code == 200
    assert "Denmark" in listing.content.decode()

    response = admin.post(
        reverse("admin:portal_jurisdictionprofile_change", args=[denmark.pk]),
        _profile_form(
            denmark,
            rules_source="Patienterstatningen: 1 month to appeal a decision",
            days_to_acknowledge=7,
            months_to_respond=3,
            days_for_records=30,
        ),
    )

    assert response.status_code == 302, response.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditAction.CHANGE, object_type="portal.jurisdictionprofile"
    ).exists()
    claim = _routed(_routable("denmark", days_to_acknowledge=20, days_to_decide=200))
    assert claim.acknowledge_by == datetime.date(2027, 2, 22)  # 7 days
    assert claim.decide_by == datetime.date(2027, 5, 15)  # 3 months
    assert _by_kind(claim, today=SENT_ON)["records"].due == datetime.date(2027, 3, 17)  # 30 days


def test_a_new_profile_added_in_the_admin_applies_to_its_providers(sent_today):
    admin = _signed_in(AdministratorFactory())
    sweden = JurisdictionProfile.objects.get(code="sweden")

    response = admin.post(
        reverse("admin:portal_jurisdictionprofile_add"),
        _profile_form(
            sweden,
            code="norway",
            name="Norway",
            rules_source="Norsk pasientskadeerstatning",
            days_to_acknowledge=10,
            months_to_respond=5,
        ),
    )

    assert response.status_code == 302, response.content.decode()
    claim = _routed(_routable("norway", days_to_acknowledge=20, days_to_decide=200))
    assert claim.acknowledge_by == datetime.date(2027, 2, 25)
    assert claim.decide_by == datetime.date(2027, 7, 15)
    staff = claim_dates_read(claim, today=SENT_ON, voice=Voice.STAFF)
    assert staff.profile.name == "Norway"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"days_to_acknowledge": 0},
            "days_to_acknowledge",
            "Enter 1 to 365 days for days to acknowledge a claim.",
        ),
        (
            {"months_to_respond": 600},
            "months_to_respond",
            "Enter 1 to 60 months for months to give a reasoned response.",
        ),
        (
            {"days_to_answer_offer": 21, "days_notice_before_lapse": 21},
            "days_notice_before_lapse",
            "The reminder must come before the offer lapses: enter fewer days than the 21 the "
            "patient has to answer.",
        ),
    ],
)
def test_the_admin_refuses_numbers_that_make_no_sense_and_changes_nothing(changes, field, message):
    admin = _signed_in(AdministratorFactory())
    profile = JurisdictionProfile.objects.get(code="england-wales")

    response = admin.post(
        reverse("admin:portal_jurisdictionprofile_change", args=[profile.pk]),
        _profile_form(profile, **changes),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    profile.refresh_from_db()
    assert (profile.days_to_acknowledge, profile.months_to_respond) == (14, 4)
    assert profile.days_notice_before_lapse == 7


# --- The case page -----------------------------------------------------------------------------


def test_the_case_page_shows_what_happens_next_and_by_when(sent_today):
    claim = _claim(status=S.SUBMITTED, consent_to_records=True)

    page = _signed_in(claim.claimant).get(reverse("intake:claim_detail", args=[claim.pk]))

    html = page.content.decode()
    assert "What happens next, and by when" in html
    assert '<time datetime="2027-03-01">1 March 2027</time>' in html
    assert '<time datetime="2027-06-15">15 June 2027</time>' in html
    assert '<time datetime="2027-03-27">27 March 2027</time>' in html
    assert "The insurer must acknowledge your claim by 1 March 2027." in html
    assert "The insurer&#x27;s" in html  # whose turn, in words


def test_an_acknowledged_claim_says_when():
    claim = _claim(status=S.UNDER_REVIEW, acknowledge_by=datetime.date(2027, 2, 22))
    ClaimStatusChange.objects.create(
        claim=claim,
        from_status=S.ASSIGNED,
        to_status=S.UNDER_REVIEW,
        occurred_at=datetime.datetime(2027, 2, 19, 14, 0, tzinfo=datetime.UTC),
    )

    item = _by_kind(claim, today=datetime.date(2027, 3, 10))["acknowledge"]

    assert (item.state, item.done_on, item.says) == (
        State.DONE,
        datetime.date(2027, 2, 19),
        "Acknowledged on 19 February 2027.",
    )


def test_the_insurers_missed_date_is_said_plainly_and_flagged_in_words():
    claim = _claim(acknowledge_by=datetime.date(2025, 3, 3), decide_by=datetime.date(2099, 1, 1))

    page = _signed_in(claim.claimant).get(reverse("intake:claim_detail", args=[claim.pk]))

    html = page.content.decode()
    assert "The insurer should have acknowledged your claim by 3 March 2025." in html
    assert "It has not done so yet." in html
    assert "Missed" in html
    assert "We have told them." not in html  # not before the leads have really been alerted


def test_an_advocate_reads_the_dates_of_the_patient_in_the_third_person():
    claim = _claim(acknowledge_by=datetime.date(2025, 3, 3))
    advocate = AdvocateFactory(advocate_verified_at=timezone.now())
    AuthorityFactory(patient=claim.claimant, advocate=advocate, claim=claim)

    page = _signed_in(advocate).get(reverse("intake:claim_detail", args=[claim.pk]))

    html = page.content.decode()
    assert "What happens next, and by when" in html
    assert "The insurer should have acknowledged your client&#x27;s claim by 3 March 2025." in html


def test_staff_see_the_same_dates_in_staff_words_with_the_profile_and_its_source():
    claim = _claim(acknowledge_by=datetime.date(2025, 3, 3), decide_by=datetime.date(2099, 1, 1))
    adjuster = AdjusterFactory()
    Claim.objects.filter(pk=claim.pk).update(insurer=adjuster.insurer, assigned_adjuster=adjuster)

    page = _signed_in(adjuster).get(reverse("triage:claim_work", args=[claim.pk]))

    html = page.content.decode()
    assert "What happens next, and by when" in html
    assert "England and Wales" in html
    assert "Pre-Action Protocol for the Resolution of Clinical Disputes" in html
    assert "Not acknowledged by 3 March 2025" in html
    assert '<time datetime="2025-03-03">3 Mar 2025</time>' in html


def test_another_patients_claim_is_not_found():
    claim = _claim()

    response = _signed_in(UserFactory()).get(reverse("intake:claim_detail", args=[claim.pk]))

    assert response.status_code == 404
    assert "What happens next" not in response.content.decode()


# --- The patient's own dates -------------------------------------------------------------------


def test_an_open_information_request_and_an_open_offer_give_the_patient_dates():
    claim = _claim(status=S.OFFER_MADE)
    adjuster = AdjusterFactory()
    message = ClaimMessage.objects.create(claim=claim, author=adjuster, body="Please send X.")
    InformationRequest.objects.create(
        claim=claim, message=message, due_date=datetime.date(2027, 3, 20)
    )
    answered = ClaimMessage.objects.create(claim=claim, author=adjuster, body="And Y.")
    InformationRequest.objects.create(
        claim=claim,
        message=answered,
        due_date=datetime.date(2027, 3, 1),
        answered_at=timezone.now(),
    )
    Offer.objects.create(
        claim=claim,
        round=1,
        made_by=adjuster,
        amount=Decimal("5000.00"),
        respond_by=datetime.date(2027, 4, 5),
    )

    items = _by_kind(claim, today=datetime.date(2027, 3, 10))

    assert items["information"].due == datetime.date(2027, 3, 20)
    assert items["information"].whose == Turn.PATIENT
    assert items["information"].whose_words == "Yours"
    assert items["information"].says.startswith("Please reply by 20 March 2027.")
    assert items["offer"].due == datetime.date(2027, 4, 5)
    assert items["offer"].whose == Turn.PATIENT
    assert items["offer"].state == State.DUE
    assert [i.kind for i in claim_dates(claim, today=datetime.date(2027, 3, 10))].count(
        "information"
    ) == 1  # the answered request has no date left


def test_the_patients_own_date_gone_by_is_missed_without_blame():
    claim = _claim(status=S.INFORMATION_REQUESTED)
    message = ClaimMessage.objects.create(claim=claim, author=AdjusterFactory(), body="Send X.")
    InformationRequest.objects.create(
        claim=claim, message=message, due_date=datetime.date(2027, 3, 1)
    )

    item = _by_kind(claim, today=datetime.date(2027, 3, 2))["information"]

    assert item.state == State.MISSED
    assert item.says.startswith("The reply-by date, 1 March 2027, has passed. You can still reply")


def test_an_open_review_gives_the_insurer_a_date_and_a_decided_one_none():
    claim = _claim(status=S.REVIEW_REQUESTED)
    Review.objects.create(
        claim=claim,
        decision_status=S.DENIED,
        requested_by=claim.claimant,
        reasons="They did not read my records.",
        decide_by=datetime.date(2027, 5, 1),
    )

    item = _by_kind(claim, today=datetime.date(2027, 4, 1))["review"]

    assert (item.due, item.whose, item.state) == (
        datetime.date(2027, 5, 1),
        Turn.INSURER,
        State.DUE,
    )
    Review.objects.filter(claim=claim).update(outcome=ReviewOutcome.UPHELD)
    assert "review" not in _by_kind(claim, today=datetime.date(2027, 4, 1))


def test_a_withdrawn_claim_shows_no_date_the_insurer_no_longer_owes():
    claim = _claim(
        status=S.WITHDRAWN, acknowledge_by=datetime.date(2027, 2, 22), consent_to_records=True
    )

    assert _by_kind(claim, today=datetime.date(2027, 3, 1)) == {}


def test_the_dates_take_the_same_queries_however_many_rows_the_claim_has():
    def claim_with(rounds: int) -> Claim:
        claim = _claim(status=S.OFFER_MADE)
        adjuster = AdjusterFactory()
        for number in range(1, rounds + 1):
            message = ClaimMessage.objects.create(claim=claim, author=adjuster, body="More?")
            InformationRequest.objects.create(
                claim=claim,
                message=message,
                due_date=datetime.date(2027, 3, 1),
                answered_at=None if number == rounds else timezone.now(),
            )
            Offer.objects.create(
                claim=claim,
                round=number,
                made_by=adjuster,
                amount=Decimal("1000.00") * number,
                respond_by=datetime.date(2027, 4, 1),
                state=OfferState.OPEN if number == rounds else OfferState.DECLINED,
            )
            Review.objects.create(
                claim=claim,
                decision_status=S.DENIED,
                requested_by=claim.claimant,
                reasons="Again.",
                decide_by=datetime.date(2027, 5, 1),
                outcome="" if number == rounds else ReviewOutcome.UPHELD,
            )
        return Claim.objects.select_related("provider").get(pk=claim.pk)

    one, twenty = claim_with(1), claim_with(20)

    def read(claim):
        return lambda: claim_dates_read(claim, today=SENT_ON)

    assert queries_during(read(one)) == queries_during(read(twenty)) == 5
    assert len(claim_dates(twenty, today=SENT_ON)) == len(claim_dates(one, today=SENT_ON))


# --- A missed date, told once ------------------------------------------------------------------


def _sweep(today: datetime.date, capture) -> int:
    with capture(execute=True):
        return claims_flag_overdue(today=today)


def _worked_claim(**fields) -> tuple[Claim, object]:
    adjuster = AdjusterFactory()
    claim = _claim(
        insurer=adjuster.insurer,
        assigned_adjuster=adjuster,
        acknowledge_by=datetime.date(2027, 3, 3),
        decide_by=datetime.date(2027, 6, 15),
        **fields,
    )
    return claim, adjuster.insurer


def _rows(kind: str, user) -> int:
    return Notification.objects.filter(kind=kind, recipient=user).count()


def test_a_missed_date_is_told_to_the_patient_once_and_the_lead_alerted_once(
    django_capture_on_commit_callbacks,
):
    claim, insurer = _worked_claim()
    lead = TriageLeadFactory(insurer=insurer)
    advocate = AdvocateFactory(advocate_verified_at=timezone.now())
    AuthorityFactory(patient=claim.claimant, advocate=advocate, claim=claim)
    day_after = datetime.date(2027, 3, 4)

    on_the_day = _sweep(datetime.date(2027, 3, 3), django_capture_on_commit_callbacks)
    first = _sweep(day_after, django_capture_on_commit_callbacks)
    again = _sweep(day_after, django_capture_on_commit_callbacks)

    assert (on_the_day, first, again) == (0, 1, 0)
    # One row per channel (in the portal, by email), once each.
    assert _rows("date_missed", claim.claimant) == len(Channel.values)
    assert _rows("date_missed", advocate) == len(Channel.values)
    assert _rows("claim_overdue", lead) == len(Channel.values)
    patient_emails = [m for m in mail.outbox if claim.claimant.email in m.recipients()]
    [email] = patient_emails
    assert "The insurer has missed a date on your claim" in email.subject
    for words in (*HEALTH_WORDS, "3 March 2027"):
        assert words not in email.body  # the title only
    [advocate_email] = [m for m in mail.outbox if advocate.email in m.recipients()]
    assert "The insurer has missed a date on a claim you follow" in advocate_email.subject
    [_lead_email] = [m for m in mail.outbox if lead.email in m.recipients()]

    claim.refresh_from_db()
    item = _by_kind(claim, today=day_after)["acknowledge"]
    assert item.says == (
        "The insurer should have acknowledged your claim by 3 March 2027. It has not done so yet. "
        "We have told them."
    )
    staff = _by_kind(claim, today=day_after, voice=Voice.STAFF)["acknowledge"]
    assert staff.says == (
        "Not acknowledged by 3 March 2027: 1 day overdue. The claimant has been told. "
        "The triage leads have been alerted."
    )


def test_without_a_triage_lead_the_patient_is_still_told_once_and_a_lead_added_later_hears(
    django_capture_on_commit_callbacks,
):
    claim, insurer = _worked_claim()
    day_after = datetime.date(2027, 3, 4)

    assert _sweep(day_after, django_capture_on_commit_callbacks) == 0
    assert _sweep(day_after, django_capture_on_commit_callbacks) == 0
    assert _rows("date_missed", claim.claimant) == len(Channel.values)

    lead = TriageLeadFactory(insurer=insurer)
    assert _sweep(day_after, django_capture_on_commit_callbacks) == 1
    assert _sweep(day_after, django_capture_on_commit_callbacks) == 0
    assert _rows("claim_overdue", lead) == len(Channel.values)
    assert _rows("date_missed", claim.claimant) == len(Channel.values)


def test_a_claim_acknowledged_in_time_tells_nobody(django_capture_on_commit_callbacks):
    claim, insurer = _worked_claim(status=S.UNDER_REVIEW)
    TriageLeadFactory(insurer=insurer)

    assert _sweep(datetime.date(2027, 3, 4), django_capture_on_commit_callbacks) == 0
    assert Notification.objects.filter(kind="date_missed").count() == 0


def test_a_provider_with_an_unknown_jurisdiction_takes_the_default_profile():
    provider = ProviderFactory(jurisdiction="atlantis")
    claim = _claim(status=S.SUBMITTED, provider=provider)

    dates = claim_dates_read(claim, today=SENT_ON, voice=Voice.STAFF)

    assert dates.profile.code == "england-wales"
    assert {i.kind: i.due for i in dates.items}["acknowledge"] == datetime.date(2027, 3, 1)
