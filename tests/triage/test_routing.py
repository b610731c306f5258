"""Routing a submitted claim, as a triage lead, an adjuster or a patient would notice it: which
insurer, team and adjuster it goes to, its due dates, the reason kept in words, the alerts, and
the sweeps that route lost claims and flag overdue ones."""

import datetime
import itertools
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError

import triage.signals
from intake.models import OPEN_FOR_ADJUSTER, Claim, ClaimStatus, ClaimStatusChange
from intake.services import claim_submit
from portal.models import Insurer, Provider, Role, User
from tests.factories import (
    AdjusterFactory,
    AdjusterProfileFactory,
    ClaimFactory,
    CoverageFactory,
    HolidayFactory,
    InsurerFactory,
    ProviderFactory,
    RoutingRuleFactory,
    TeamFactory,
    TriageLeadFactory,
    UserFactory,
    complete_draft,
)
from triage.models import (
    AdjusterProfile,
    ConflictOfInterest,
    Priority,
    RoutingDecision,
    RoutingRule,
    Team,
)
from triage.services import ROUTING_GRACE, claim_route, claims_flag_overdue, claims_route_waiting

pytestmark = pytest.mark.django_db

S = ClaimStatus
TODAY = datetime.date(2025, 6, 4)  # a Wednesday
INCIDENT = datetime.date(2025, 3, 3)
# Health details: distinctive, so an email that leaks them is caught.
DESCRIPTION = "Surgeons removed the healthy left kidney instead of the diseased right one."
INJURIES = "Permanent renal failure; dialysis three times a week."
HEALTH_WORDS = (DESCRIPTION, INJURIES, "kidney", "dialysis")


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """Routing counts due dates from the local day; fix it so the dates can be checked."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


@dataclass
class Insured:
    insurer: Insurer
    provider: Provider
    team: Team
    default_rule: RoutingRule


@pytest.fixture
def insured() -> Insured:
    """Royal Infirmary, covered by Northern Mutual since 2020; its default rule sends everything
    to the General team, which has nobody in it yet."""
    insurer = InsurerFactory(name="Northern Mutual")
    provider = ProviderFactory(name="Royal Infirmary", region="North West")
    CoverageFactory(provider=provider, insurer=insurer, starts_on=datetime.date(2020, 1, 1))
    team = TeamFactory(insurer=insurer, name="General")
    rule = RoutingRuleFactory(
        insurer=insurer, team=team, position=9, name="Everything else", is_default=True
    )
    return Insured(insurer=insurer, provider=provider, team=team, default_rule=rule)


def _submitted(provider: Provider | None, **fields) -> Claim:
    defaults = {
        "status": S.SUBMITTED,
        "provider": provider,
        "incident_date": INCIDENT,
        "harm_category": "surgical",
        "severity": "moderate",
        "claimed_amount": Decimal("12000.00"),
        "submitted_at": timezone.now() - datetime.timedelta(minutes=10),
        "description": DESCRIPTION,
        "injuries": INJURIES,
    }
    return ClaimFactory(**{**defaults, **fields})


def _adjuster(
    team: Team,
    *,
    open_claims: int = 0,
    insurer: Insurer | None = None,
    full_name: str = "Sam Jones",
    **profile,
) -> User:
    """An adjuster in `team` with `open_claims` claims being worked (every open status in turn)."""
    user = AdjusterFactory(insurer=insurer or team.insurer, full_name=full_name)
    AdjusterProfileFactory(user=user, **profile)
    team.members.add(user)
    for status in itertools.islice(itertools.cycle(OPEN_FOR_ADJUSTER), open_claims):
        ClaimFactory(status=status, insurer=user.insurer, team=team, assigned_adjuster=user)
    return user


def _route(claim: Claim) -> Claim:
    """Route as the task does (with the id as a string), then read the claim back."""
    claim_route(claim_id=str(claim.pk))
    claim.refresh_from_db()
    return claim


def _decisions(claim: Claim) -> list[RoutingDecision]:
    return list(RoutingDecision.objects.filter(claim=claim))


def _history(claim: Claim) -> list[tuple]:
    return list(
        ClaimStatusChange.objects.filter(claim=claim).values_list(
            "from_status", "to_status", "reason", "actor"
        )
    )


def _recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.recipients())


def _sent_to(user: User) -> list:
    return [message for message in mail.outbox if user.email in message.recipients()]


# --- Insurer ------------------------------------------------------------------------------------


def test_claim_route_takes_the_insurer_covering_the_provider_on_the_incident_date():
    provider = ProviderFactory()
    before, after = InsurerFactory(), InsurerFactory()
    CoverageFactory(
        provider=provider,
        insurer=before,
        starts_on=datetime.date(2020, 1, 1),
        ends_on=datetime.date(2023, 12, 31),
    )
    CoverageFactory(provider=provider, insurer=after, starts_on=datetime.date(2024, 1, 1))
    for insurer in (before, after):
        rule = RoutingRuleFactory(insurer=insurer, is_default=True)
        _adjuster(rule.team)

    last_day_before = _route(_submitted(provider, incident_date=datetime.date(2023, 12, 31)))
    first_day_after = _route(_submitted(provider, incident_date=datetime.date(2024, 1, 1)))

    for claim, insurer in [(last_day_before, before), (first_day_after, after)]:
        assert claim.status == S.ASSIGNED
        assert claim.insurer == insurer
        assert claim.team.insurer == insurer
        assert claim.assigned_adjuster.insurer == insurer


def test_claim_without_coverage_on_the_incident_date_needs_triage(insured):
    _adjuster(insured.team)

    claim = _route(_submitted(insured.provider, incident_date=datetime.date(2019, 12, 31)))

    assert claim.status == S.NEEDS_TRIAGE
    assert (claim.insurer, claim.team, claim.assigned_adjuster) == (None, None, None)
    [decision] = _decisions(claim)
    assert "Royal Infirmary" in decision.reason
    assert "31 Dec 2019" in decision.reason
    assert _history(claim) == [(S.SUBMITTED, S.NEEDS_TRIAGE, "", None)]


def test_claim_about_an_unlisted_provider_needs_triage(insured):
    _adjuster(insured.team)

    claim = _route(_submitted(None, provider_not_listed="St Elsewhere Clinic"))

    assert claim.status == S.NEEDS_TRIAGE
    assert (claim.insurer, claim.team, claim.assigned_adjuster) == (None, None, None)
    [decision] = _decisions(claim)
    assert "provider not listed" in decision.reason


def test_claim_matching_no_rule_needs_triage_with_its_insurer_known():
    insurer = InsurerFactory(name="Southern Shield")
    provider = ProviderFactory()
    CoverageFactory(provider=provider, insurer=insurer)
    rule = RoutingRuleFactory(insurer=insurer, position=1, severities=["death"])
    _adjuster(rule.team)

    claim = _route(_submitted(provider, severity="moderate"))

    assert claim.status == S.NEEDS_TRIAGE
    assert claim.insurer == insurer  # so the insurer's triage leads see it
    assert (claim.team, claim.assigned_adjuster) == (None, None)
    [decision] = _decisions(claim)
    assert "Southern Shield" in decision.reason
    assert "no routing rule" in decision.reason


# --- Rule ---------------------------------------------------------------------------------------


def test_first_matching_rule_sets_team_priority_and_due_dates_in_business_days(insured):
    HolidayFactory(date=datetime.date(2025, 6, 6), name="Staff day")
    complex_team = TeamFactory(insurer=insured.insurer, name="Complex")
    RoutingRuleFactory(
        insurer=insured.insurer,
        team=complex_team,
        position=1,
        severities=["death"],
        priority=Priority.URGENT,
        days_to_acknowledge=5,
        days_to_decide=20,
    )
    specialist = _adjuster(complex_team)
    _adjuster(insured.team)

    claim = _route(_submitted(insured.provider, severity="death"))

    assert claim.team == complex_team
    assert claim.assigned_adjuster == specialist
    assert claim.priority == Priority.URGENT
    # From Wednesday 4 June, skipping weekends and Friday 6 June.
    assert claim.acknowledge_by == datetime.date(2025, 6, 12)
    assert claim.decide_by == datetime.date(2025, 7, 3)


def test_claim_matching_only_the_default_rule_gets_its_team_and_dates(insured):
    RoutingRuleFactory(insurer=insured.insurer, position=1, severities=["death"])
    RoutingRule.objects.filter(pk=insured.default_rule.pk).update(
        priority=Priority.LOW, days_to_acknowledge=2, days_to_decide=10
    )
    _adjuster(insured.team)

    claim = _route(_submitted(insured.provider, severity="minor"))

    assert (claim.team, claim.priority) == (insured.team, Priority.LOW)
    assert claim.acknowledge_by == datetime.date(2025, 6, 6)
    assert claim.decide_by == datetime.date(2025, 6, 18)


# --- Adjuster -----------------------------------------------------------------------------------


def test_least_loaded_relative_to_capacity_gets_the_claim(insured):
    nearly_full = _adjuster(insured.team, open_claims=1, capacity=2)
    roomy = _adjuster(insured.team, open_claims=2, capacity=10)

    assert _route(_submitted(insured.provider)).assigned_adjuster == roomy
    assert nearly_full.assigned_claims.count() == 1


def test_every_open_status_counts_towards_capacity(insured):
    # One open claim in each status an adjuster works: full.
    full = _adjuster(
        insured.team, open_claims=len(OPEN_FOR_ADJUSTER), capacity=len(OPEN_FOR_ADJUSTER)
    )
    busy = _adjuster(insured.team, open_claims=9, capacity=10)

    assert _route(_submitted(insured.provider)).assigned_adjuster == busy
    assert full.assigned_claims.count() == len(OPEN_FOR_ADJUSTER)


def test_finished_claims_do_not_count_towards_capacity(insured):
    finished = _adjuster(insured.team, capacity=2)
    for status in (S.CLOSED, S.DENIED, S.WITHDRAWN):
        ClaimFactory(status=status, insurer=insured.insurer, assigned_adjuster=finished)
    busy = _adjuster(insured.team, open_claims=1, capacity=2)

    assert _route(_submitted(insured.provider)).assigned_adjuster == finished
    assert busy.assigned_claims.count() == 1


def test_equal_load_goes_to_the_adjuster_assigned_least_recently(insured):
    now = timezone.now()
    _adjuster(insured.team, open_claims=1, capacity=4, last_assigned_at=now)
    earlier = _adjuster(
        insured.team, open_claims=2, capacity=8, last_assigned_at=now - datetime.timedelta(days=1)
    )

    assert _route(_submitted(insured.provider)).assigned_adjuster == earlier


def test_never_assigned_counts_as_assigned_longest_ago(insured):
    _adjuster(insured.team, last_assigned_at=timezone.now() - datetime.timedelta(days=365))
    newcomer = _adjuster(insured.team, last_assigned_at=None)

    assert _route(_submitted(insured.provider)).assigned_adjuster == newcomer


def test_successive_claims_spread_across_the_team(insured):
    first, second = _adjuster(insured.team), _adjuster(insured.team)

    chosen = [_route(_submitted(insured.provider)).assigned_adjuster for _ in range(4)]

    assert chosen == [first, second, first, second]


def _on_leave(user, provider):
    AdjusterProfile.objects.filter(user=user).update(on_leave=True)


def _inactive(user, provider):
    User.objects.filter(pk=user.pk).update(is_active=False)


def _conflicted(user, provider):
    ConflictOfInterest.objects.create(adjuster=user, provider=provider, reason="Sister works there")


def _without_the_skill(user, provider):
    AdjusterProfile.objects.filter(user=user).update(skills=["maternity", "medication"])


def _outside_the_region(user, provider):
    AdjusterProfile.objects.filter(user=user).update(regions=["South East"])


def _no_capacity(user, provider):
    AdjusterProfile.objects.filter(user=user).update(capacity=0)


def _a_triage_lead(user, provider):
    User.objects.filter(pk=user.pk).update(role=Role.TRIAGE_LEAD)


@pytest.mark.parametrize(
    "disqualify",
    [
        _on_leave,
        _inactive,
        _conflicted,
        _without_the_skill,
        _outside_the_region,
        _no_capacity,
        _a_triage_lead,
    ],
)
def test_adjuster_who_cannot_take_the_claim_is_skipped(insured, disqualify):
    # Otherwise the best choice: nothing open and never assigned.
    skipped = _adjuster(insured.team)
    fallback = _adjuster(insured.team, open_claims=5, last_assigned_at=timezone.now())
    disqualify(skipped, insured.provider)

    claim = _route(_submitted(insured.provider, harm_category="surgical"))

    assert claim.assigned_adjuster == fallback


@pytest.mark.parametrize(
    "profile",
    [
        {"skills": ["surgical", "medication"]},
        {"regions": ["North West", "Wales"]},
        {"skills": ["surgical"], "regions": ["North West"]},
    ],
    ids=["skill", "region", "both"],
)
def test_adjuster_whose_skills_and_regions_fit_is_chosen(insured, profile):
    fitting = _adjuster(insured.team, **profile)
    _adjuster(insured.team, open_claims=5)

    claim = _route(_submitted(insured.provider, harm_category="surgical"))

    assert claim.assigned_adjuster == fitting


def test_conflict_with_another_provider_does_not_skip_the_adjuster(insured):
    unaffected = _adjuster(insured.team)
    ConflictOfInterest.objects.create(adjuster=unaffected, provider=ProviderFactory())
    _adjuster(insured.team, open_claims=5)

    assert _route(_submitted(insured.provider)).assigned_adjuster == unaffected


def test_adjuster_of_another_insurer_in_the_team_is_never_chosen(insured):
    outsider = _adjuster(insured.team, insurer=InsurerFactory())

    alone = _route(_submitted(insured.provider))
    ours = _adjuster(insured.team, open_claims=5)
    with_ours = _route(_submitted(insured.provider))

    assert (alone.status, alone.assigned_adjuster) == (S.SUBMITTED, None)
    assert with_ours.assigned_adjuster == ours
    assert not outsider.assigned_claims.exists()


def test_routing_records_when_the_chosen_adjuster_was_last_assigned(insured):
    long_ago = timezone.now() - datetime.timedelta(days=30)
    chosen = _adjuster(insured.team)
    other = _adjuster(insured.team, open_claims=1, last_assigned_at=long_ago)
    before = timezone.now()

    _route(_submitted(insured.provider))

    chosen.adjuster_profile.refresh_from_db()
    other.adjuster_profile.refresh_from_db()
    assert before <= chosen.adjuster_profile.last_assigned_at <= timezone.now()
    assert other.adjuster_profile.last_assigned_at == long_ago


# --- Full team ----------------------------------------------------------------------------------


def test_full_team_keeps_the_claim_in_its_queue_and_emails_each_lead_once(
    insured, django_capture_on_commit_callbacks
):
    _adjuster(insured.team, open_claims=2, capacity=2)
    _adjuster(insured.team, open_claims=1, capacity=1)
    _adjuster(insured.team, on_leave=True)  # has room, but is away
    leads = [TriageLeadFactory(insurer=insured.insurer) for _ in range(2)]
    TriageLeadFactory(insurer=insured.insurer, is_active=False)
    TriageLeadFactory()  # another insurer's
    claim = _submitted(insured.provider)

    with django_capture_on_commit_callbacks(execute=True):
        claim_route(claim_id=str(claim.pk))

    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED
    assert (claim.insurer, claim.team, claim.assigned_adjuster) == (
        insured.insurer,
        insured.team,
        None,
    )
    [decision] = _decisions(claim)
    assert "waiting in the team queue" in decision.reason
    assert (decision.team, decision.adjuster) == (insured.team, None)
    assert _history(claim) == []  # the patient's timeline shows no move
    assert _recipients() == sorted(lead.email for lead in leads)
    for message in mail.outbox:
        assert claim.reference in message.body
        for words in HEALTH_WORDS:
            assert words not in message.subject
            assert words not in message.body


def test_full_team_alert_is_not_sent_when_the_routing_rolls_back(
    insured, django_capture_on_commit_callbacks
):
    _adjuster(insured.team, open_claims=1, capacity=1)
    TriageLeadFactory(insurer=insured.insurer)
    claim = _submitted(insured.provider)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        claim_route(claim_id=str(claim.pk))
        raise RuntimeError("the worker died before committing")

    assert mail.outbox == []
    assert _decisions(claim) == []


def test_claim_waiting_in_the_team_queue_is_not_routed_again(
    insured, django_capture_on_commit_callbacks
):
    _adjuster(insured.team, open_claims=1, capacity=1)
    TriageLeadFactory(insurer=insured.insurer)
    claim = _submitted(insured.provider)

    with django_capture_on_commit_callbacks(execute=True):
        claim_route(claim_id=str(claim.pk))
        again = claim_route(claim_id=str(claim.pk))

    assert again is None
    assert len(_decisions(claim)) == 1
    assert len(mail.outbox) == 1


# --- The decision in words, the patient's timeline ------------------------------------------


def test_routing_decision_gives_the_reason_in_words(insured):
    complex_team = TeamFactory(insurer=insured.insurer, name="Complex")
    rule = RoutingRuleFactory(
        insurer=insured.insurer, team=complex_team, position=1, severities=["death"]
    )
    patel = _adjuster(complex_team, capacity=20, full_name="Asha Patel")

    claim = _route(_submitted(insured.provider, severity="death"))

    [decision] = _decisions(claim)
    assert decision.reason == "rule 1: severity death → Complex; assigned to A. Patel, 1 of 20 open"
    assert (decision.rule, decision.team, decision.adjuster, decision.actor) == (
        rule,
        complex_team,
        patel,
        None,
    )


def test_routed_claim_is_assigned_with_a_history_row_that_says_nothing_of_routing(insured):
    _adjuster(insured.team)

    claim = _route(_submitted(insured.provider))

    assert claim.status == S.ASSIGNED
    # The reason is shown on the patient's timeline: rules, teams and loads stay internal.
    assert _history(claim) == [(S.SUBMITTED, S.ASSIGNED, "", None)]


# --- Idempotence --------------------------------------------------------------------------------


def test_routing_twice_changes_nothing_the_second_time(insured):
    _adjuster(insured.team)
    _adjuster(insured.team)
    claim = _submitted(insured.provider)
    first = claim_route(claim_id=str(claim.pk))
    profiles = list(AdjusterProfile.objects.order_by("pk").values_list("last_assigned_at"))

    again = claim_route(claim_id=str(claim.pk))

    claim.refresh_from_db()
    assert again is None
    assert (claim.status, claim.assigned_adjuster) == (S.ASSIGNED, first.assigned_adjuster)
    assert len(_decisions(claim)) == 1
    assert len(_history(claim)) == 1
    assert list(AdjusterProfile.objects.order_by("pk").values_list("last_assigned_at")) == profiles


@pytest.mark.parametrize(
    "status", [S.DRAFT, S.NEEDS_TRIAGE, S.ASSIGNED, S.UNDER_REVIEW, S.WITHDRAWN]
)
def test_routing_a_claim_that_is_not_submitted_does_nothing(insured, status):
    _adjuster(insured.team)
    claim = _submitted(insured.provider, status=status)

    assert claim_route(claim_id=str(claim.pk)) is None

    claim.refresh_from_db()
    assert (claim.status, claim.insurer, claim.team, claim.assigned_adjuster) == (
        status,
        None,
        None,
        None,
    )
    assert _decisions(claim) == []


def test_routing_a_missing_claim_returns_none():
    assert claim_route(claim_id=str(uuid.uuid4())) is None
    assert not RoutingDecision.objects.exists()


# --- Sweeps -------------------------------------------------------------------------------------


def test_claims_route_waiting_routes_only_submitted_claims_past_the_grace_period(insured):
    _adjuster(insured.team)
    now = timezone.now()
    long_ago = now - datetime.timedelta(hours=1)
    lost = _submitted(
        insured.provider, submitted_at=now - ROUTING_GRACE - datetime.timedelta(seconds=1)
    )
    recent = _submitted(insured.provider, submitted_at=now - ROUTING_GRACE / 2)
    needs_triage = _submitted(insured.provider, status=S.NEEDS_TRIAGE, submitted_at=long_ago)
    queued = _submitted(
        insured.provider, insurer=insured.insurer, team=insured.team, submitted_at=long_ago
    )

    assert claims_route_waiting(now=now) == 1

    for claim in (lost, recent, needs_triage, queued):
        claim.refresh_from_db()
    assert lost.status == S.ASSIGNED
    assert (recent.status, recent.team) == (S.SUBMITTED, None)
    assert needs_triage.status == S.NEEDS_TRIAGE
    assert (queued.status, queued.assigned_adjuster) == (S.SUBMITTED, None)
    assert [claim for claim in (recent, needs_triage, queued) if _decisions(claim)] == []


def _worked(insured: Insured, status: str, *, acknowledge_by, decide_by) -> Claim:
    adjuster = _adjuster(insured.team)
    return _submitted(
        insured.provider,
        status=status,
        insurer=insured.insurer,
        team=insured.team,
        assigned_adjuster=adjuster,
        acknowledge_by=acknowledge_by,
        decide_by=decide_by,
    )


DAY = datetime.date(2025, 9, 10)


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def _flag(today: datetime.date, capture) -> int:
    with capture(execute=True):
        return claims_flag_overdue(today=today)


def test_overdue_sweep_alerts_once_per_breach(insured, django_capture_on_commit_callbacks):
    lead = TriageLeadFactory(insurer=insured.insurer)
    TriageLeadFactory()  # another insurer's
    claim = _worked(insured, S.ASSIGNED, acknowledge_by=DAY - _days(1), decide_by=DAY + _days(30))

    on_the_day = _flag(DAY - _days(1), django_capture_on_commit_callbacks)
    first = _flag(DAY, django_capture_on_commit_callbacks)
    again = _flag(DAY, django_capture_on_commit_callbacks)
    later = _flag(DAY + _days(3), django_capture_on_commit_callbacks)

    assert (on_the_day, first, again, later) == (0, 1, 0, 0)
    # The lead is alerted, and the patient told the insurer missed its date: each once.
    assert _recipients() == sorted([lead.email, claim.claimant.email])
    for message in mail.outbox:
        assert claim.reference in message.body
        for words in HEALTH_WORDS:
            assert words not in message.body


def test_overdue_sweep_alerts_each_breach_of_a_claim(insured, django_capture_on_commit_callbacks):
    lead = TriageLeadFactory(insurer=insured.insurer)
    claim = _worked(insured, S.ASSIGNED, acknowledge_by=DAY - _days(40), decide_by=DAY - _days(1))

    assert _flag(DAY, django_capture_on_commit_callbacks) == 2
    assert _flag(DAY, django_capture_on_commit_callbacks) == 0
    assert (len(_sent_to(lead)), len(_sent_to(claim.claimant))) == (2, 2)


def test_a_new_decide_by_date_missed_alerts_again(insured, django_capture_on_commit_callbacks):
    lead = TriageLeadFactory(insurer=insured.insurer)
    claim = _worked(
        insured, S.UNDER_REVIEW, acknowledge_by=DAY - _days(40), decide_by=DAY - _days(1)
    )
    assert _flag(DAY, django_capture_on_commit_callbacks) == 1

    Claim.objects.filter(pk=claim.pk).update(decide_by=DAY + _days(10))  # the date was extended

    assert _flag(DAY + _days(5), django_capture_on_commit_callbacks) == 0
    assert _flag(DAY + _days(11), django_capture_on_commit_callbacks) == 1
    assert _flag(DAY + _days(11), django_capture_on_commit_callbacks) == 0
    assert (len(_sent_to(lead)), len(_sent_to(claim.claimant))) == (2, 2)


@pytest.mark.parametrize("status", [S.OFFER_MADE, S.SETTLED, S.DENIED, S.CLOSED, S.WITHDRAWN])
def test_overdue_sweep_skips_decided_and_withdrawn_claims(
    insured, django_capture_on_commit_callbacks, status
):
    TriageLeadFactory(insurer=insured.insurer)
    _worked(insured, status, acknowledge_by=DAY - _days(90), decide_by=DAY - _days(30))

    assert _flag(DAY, django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_overdue_sweep_skips_an_acknowledged_claim_still_within_its_decide_by_date(
    insured, django_capture_on_commit_callbacks
):
    TriageLeadFactory(insurer=insured.insurer)
    _worked(insured, S.UNDER_REVIEW, acknowledge_by=DAY - _days(20), decide_by=DAY + _days(20))

    assert _flag(DAY, django_capture_on_commit_callbacks) == 0


def test_claim_waiting_in_the_team_queue_past_its_acknowledge_by_date_is_flagged(
    insured, django_capture_on_commit_callbacks
):
    lead = TriageLeadFactory(insurer=insured.insurer)
    claim = _submitted(
        insured.provider,
        insurer=insured.insurer,
        team=insured.team,
        acknowledge_by=DAY - _days(1),
        decide_by=DAY + _days(30),
    )

    assert _flag(DAY, django_capture_on_commit_callbacks) == 1
    assert _recipients() == sorted([lead.email, claim.claimant.email])


# --- Submission queues routing ------------------------------------------------------------------


def test_submitting_a_claim_queues_its_routing_after_commit(
    monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    # Replaces only the broker call: the signal, its receiver and the task's arguments are real.
    monkeypatch.setattr(
        triage.signals.claim_route_task,
        "delay",
        lambda *args, **kwargs: queued.append((args, kwargs)),
    )
    patient = UserFactory()
    draft = complete_draft(patient)

    with django_capture_on_commit_callbacks(execute=True):
        claim = claim_submit(claim=draft, user=patient)
        assert queued == []  # nothing is queued before the submission commits

    assert queued == [((str(claim.pk),), {})]


def test_submission_succeeds_when_routing_cannot_be_queued_and_the_sweep_routes_it(
    insured, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    # Replaces only the broker call, with the error kombu raises when the broker is down.
    monkeypatch.setattr(triage.signals.claim_route_task, "delay", broker_down)
    adjuster = _adjuster(insured.team)
    patient = UserFactory()
    draft = complete_draft(patient, provider=insured.provider)

    with django_capture_on_commit_callbacks(execute=True):
        claim_submit(claim=draft, user=patient)

    claim = Claim.objects.get(pk=draft.pk)
    assert claim.status == S.SUBMITTED
    assert claim.reference
    assert "the sweep will route it" in caplog.text

    assert claims_route_waiting(now=claim.submitted_at + ROUTING_GRACE * 2) == 1
    claim.refresh_from_db()
    assert (claim.status, claim.assigned_adjuster) == (S.ASSIGNED, adjuster)


# --- Query count --------------------------------------------------------------------------------


def _claim_for_a_team_of(size: int) -> Claim:
    """A submitted claim whose insurer's only team has `size` adjusters, made in bulk."""
    insurer = InsurerFactory()
    provider = ProviderFactory()
    CoverageFactory(provider=provider, insurer=insurer)
    team = RoutingRuleFactory(insurer=insurer, is_default=True).team
    users = User.objects.bulk_create(
        User(
            email=f"adjuster{n}.{insurer.pk}@example.org",
            full_name=f"Adjuster {n}",
            role=Role.ADJUSTER,
            insurer=insurer,
            password="!",  # unusable: nobody signs in here
        )
        for n in range(size)
    )
    AdjusterProfile.objects.bulk_create(
        AdjusterProfile(
            user=user,
            capacity=5,
            on_leave=n % 7 == 3,
            skills=["surgical"] if n % 2 else [],
            regions=["South East"] if n % 5 == 4 else [],
        )
        for n, user in enumerate(users)
    )
    Team.members.through.objects.bulk_create(
        Team.members.through(team=team, user=user) for user in users
    )
    ConflictOfInterest.objects.create(adjuster=users[0], provider=provider)
    for user in users[:3]:
        ClaimFactory(status=S.ASSIGNED, insurer=insurer, team=team, assigned_adjuster=user)
    return _submitted(provider)


def test_routing_query_count_does_not_grow_with_the_team():
    claim_route(claim_id=str(_claim_for_a_team_of(10).pk))  # warms any per-process cache
    small, large = _claim_for_a_team_of(10), _claim_for_a_team_of(200)

    with CaptureQueriesContext(connection) as small_queries:
        claim_route(claim_id=str(small.pk))
    with CaptureQueriesContext(connection) as large_queries:
        claim_route(claim_id=str(large.pk))

    assert Claim.objects.get(pk=small.pk).status == S.ASSIGNED
    assert Claim.objects.get(pk=large.pk).status == S.ASSIGNED
    assert len(large_queries) == len(small_queries)
