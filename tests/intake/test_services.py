"""The claim's writes: drafts, submission and every move of the lifecycle, as a caller sees them."""

import contextlib
import datetime
import json
from decimal import Decimal

import pytest
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from intake import signals
from intake.lifecycle import LIFECYCLE, Actor
from intake.models import (
    BEFORE_DECISION,
    AuthorityStatus,
    Claim,
    ClaimReferenceCounter,
    ClaimStatus,
    ClaimStatusChange,
)
from intake.services import (
    ClaimError,
    ClaimIncomplete,
    InvalidTransition,
    TransitionNotPermitted,
    claim_acknowledge_duplicate,
    claim_draft_start,
    claim_draft_update,
    claim_submit,
    claim_transition,
    claim_withdraw,
)
from portal.models import AuditAction, AuditEvent
from tests.factories import (
    AdjusterFactory,
    AdvocateFactory,
    ClaimFactory,
    ProviderFactory,
    TriageLeadFactory,
    UserFactory,
    authority_for,
    complete_draft,
)

pytestmark = pytest.mark.django_db

S = ClaimStatus
# Health details may sit in a reason: it belongs in the claim's history, never in the audit log.
REASON = "The MRI showed nerve damage after the operation."


@pytest.fixture
def received():
    """Every claim_submitted and claim_status_changed sent during the test, as (name, kwargs)."""
    sent = []

    def on_submitted(sender, **kwargs):
        kwargs.pop("signal")
        sent.append(("claim_submitted", kwargs))

    def on_changed(sender, **kwargs):
        kwargs.pop("signal")
        sent.append(("claim_status_changed", kwargs))

    signals.claim_submitted.connect(on_submitted, weak=False)
    signals.claim_status_changed.connect(on_changed, weak=False)
    yield sent
    signals.claim_submitted.disconnect(on_submitted)
    signals.claim_status_changed.disconnect(on_changed)


def _worked_claim(status: str) -> Claim:
    """A claim in `status`, routed to an insurer and assigned to one of its adjusters."""
    adjuster = AdjusterFactory()
    return ClaimFactory(status=status, insurer=adjuster.insurer, assigned_adjuster=adjuster)


def _actor(kind: str, claim: Claim):
    if kind == Actor.ADVOCATE:
        advocate = authority_for(claim)
        if claim.is_draft:  # an advocate only ever moves a draft they are filing
            claim.filed_by = advocate
            claim.save(update_fields=["filed_by"])
        return advocate
    return {
        Actor.CLAIMANT: claim.claimant,
        Actor.INSURER: claim.assigned_adjuster,
        Actor.SYSTEM: None,
    }[kind]


def _history(claim: Claim) -> list[tuple]:
    return list(
        ClaimStatusChange.objects.filter(claim=claim).values_list(
            "from_status", "to_status", "actor", "reason"
        )
    )


def _audit(claim: Claim, action: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action=action, object_type="intake.claim", object_id=claim.pk)
    )


def _stored(claim: Claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


def _year() -> int:
    return timezone.localdate().year


# --- The lifecycle table ------------------------------------------------------------------------

ALLOWED_MOVES = [
    (from_status, to_status, kind)
    for (from_status, to_status), move in sorted(LIFECYCLE.items())
    for kind in sorted(move.actors) or ["nobody"]
]
REFUSED_PAIRS = [
    (from_status, to_status)
    for from_status in S.values
    for to_status in S.values
    if from_status != to_status and (from_status, to_status) not in LIFECYCLE
]


def test_every_status_is_reached_or_left_by_a_move_of_the_lifecycle_table():
    assert {status for move in LIFECYCLE for status in move} == set(S.values)


@pytest.mark.parametrize(("from_status", "to_status", "kind"), ALLOWED_MOVES)
def test_claim_transition_makes_each_allowed_move_for_its_actor(from_status, to_status, kind):
    claim = _worked_claim(from_status)
    if from_status == S.DRAFT:
        # claim_submit gives the reference just before this move; the database insists on it.
        Claim.objects.filter(pk=claim.pk).update(reference="TEST-DRAFT")
    if kind == "nobody":
        pytest.fail(f"The lifecycle names nobody who may move {from_status} to {to_status}")
    actor = _actor(kind, claim)

    moved = claim_transition(claim=claim, to_status=to_status, actor=actor, reason=REASON)

    assert moved.status == to_status
    assert _stored(claim).status == to_status
    assert _history(claim) == [(from_status, to_status, actor.pk if actor else None, REASON)]
    [change] = _audit(claim, AuditAction.CHANGE)
    assert change.detail == {"from": from_status, "to": to_status}
    assert change.actor == actor
    all_details = json.dumps([event.detail for event in AuditEvent.objects.all()])
    assert "MRI" not in all_details


#: Every allowed move with each kind of person the table does not name for it.
WRONG_KINDS = [
    (from_status, to_status, kind)
    for (from_status, to_status), move in sorted(LIFECYCLE.items())
    for kind in sorted(set(Actor) - move.actors)
]


@pytest.mark.parametrize(("from_status", "to_status", "kind"), WRONG_KINDS)
def test_claim_transition_refuses_each_move_to_everyone_it_does_not_name(
    from_status, to_status, kind
):
    claim = _worked_claim(from_status)
    if from_status == S.DRAFT:
        Claim.objects.filter(pk=claim.pk).update(reference="TEST-DRAFT")
    actor = _actor(kind, claim)

    with pytest.raises(TransitionNotPermitted):
        claim_transition(claim=claim, to_status=to_status, actor=actor, reason=REASON)

    assert _stored(claim).status == from_status
    assert _history(claim) == []
    [refusal] = _audit(claim, AuditAction.ACCESS_REFUSED)
    assert refusal.actor == actor


#: Moves that bind the patient, with the scope an advocate needs to make them.
SCOPED_MOVES = [
    (from_status, to_status, move.advocate_scope)
    for (from_status, to_status), move in sorted(LIFECYCLE.items())
    if move.advocate_scope
]


@pytest.mark.parametrize(("from_status", "to_status", "scope"), SCOPED_MOVES)
def test_an_advocate_without_the_moves_scope_is_refused_it(from_status, to_status, scope):
    claim = _worked_claim(from_status)
    advocate = authority_for(claim, **{scope: False})

    with pytest.raises(TransitionNotPermitted):
        claim_transition(claim=claim, to_status=to_status, actor=advocate, reason=REASON)

    assert _stored(claim).status == from_status
    [refusal] = _audit(claim, AuditAction.ACCESS_REFUSED)
    assert refusal.actor == advocate


@pytest.mark.parametrize(("from_status", "to_status"), REFUSED_PAIRS)
def test_claim_transition_refuses_every_move_not_in_the_table(from_status, to_status):
    claim = _worked_claim(from_status)
    # Whoever would be the natural actor: the refusal must come from the table alone.
    claimant_moves = (S.WITHDRAWN, S.SUBMITTED)
    actor = claim.claimant if to_status in claimant_moves else claim.assigned_adjuster

    with pytest.raises(InvalidTransition):
        claim_transition(claim=claim, to_status=to_status, actor=actor, reason=REASON)

    assert _stored(claim).status == from_status
    assert _history(claim) == []
    assert _audit(claim, AuditAction.CHANGE) == []


def test_an_invalid_transition_says_which_move_was_refused():
    claim = _worked_claim(S.SETTLED)

    with pytest.raises(InvalidTransition, match="“Settled” cannot become “Under review”"):
        claim_transition(
            claim=claim, to_status=S.UNDER_REVIEW, actor=claim.assigned_adjuster, reason="Why"
        )


@pytest.mark.parametrize("status", S.values)
def test_claim_transition_to_the_current_status_is_a_no_op(status, received):
    claim = _worked_claim(status)
    before = _stored(claim).updated_at

    claim_transition(claim=claim, to_status=status, actor=claim.claimant)

    assert _stored(claim).status == status
    assert _stored(claim).updated_at == before
    assert _history(claim) == []
    assert _audit(claim, AuditAction.CHANGE) == []
    assert received == []


def test_claim_transition_decides_on_the_stored_status_not_on_a_stale_copy():
    claim = _worked_claim(S.UNDER_REVIEW)
    stale = _stored(claim)
    claim_transition(claim=claim, to_status=S.OFFER_MADE, actor=claim.assigned_adjuster)

    with pytest.raises(InvalidTransition):
        claim_transition(
            claim=stale, to_status=S.DENIED, actor=claim.assigned_adjuster, reason="No breach."
        )

    assert _stored(claim).status == S.OFFER_MADE


# --- Who may move a claim -----------------------------------------------------------------------


def _patient_denies_own_claim():
    claim = _worked_claim(S.UNDER_REVIEW)
    return claim, S.DENIED, claim.claimant


def _another_patient_withdraws():
    return _worked_claim(S.SUBMITTED), S.WITHDRAWN, UserFactory()


def _adjuster_of_another_insurer():
    return _worked_claim(S.ASSIGNED), S.UNDER_REVIEW, AdjusterFactory()


def _unassigned_adjuster_of_the_same_insurer():
    claim = _worked_claim(S.ASSIGNED)
    return claim, S.UNDER_REVIEW, AdjusterFactory(insurer=claim.insurer)


def _triage_lead_of_another_insurer():
    return _worked_claim(S.UNDER_REVIEW), S.OFFER_MADE, TriageLeadFactory()


def _assigned_adjuster_withdraws_for_the_patient():
    claim = _worked_claim(S.UNDER_REVIEW)
    return claim, S.WITHDRAWN, claim.assigned_adjuster


def _deactivated_assigned_adjuster():
    claim = _worked_claim(S.ASSIGNED)
    claim.assigned_adjuster.is_active = False
    claim.assigned_adjuster.save()
    return claim, S.UNDER_REVIEW, claim.assigned_adjuster


def _advocate_withdraws():
    return _worked_claim(S.SUBMITTED), S.WITHDRAWN, AdvocateFactory()


def _the_portal_denies():
    return _worked_claim(S.UNDER_REVIEW), S.DENIED, None


WRONG_ACTORS = [
    _patient_denies_own_claim,
    _another_patient_withdraws,
    _adjuster_of_another_insurer,
    _unassigned_adjuster_of_the_same_insurer,
    _triage_lead_of_another_insurer,
    _assigned_adjuster_withdraws_for_the_patient,
    _deactivated_assigned_adjuster,
    _advocate_withdraws,
    _the_portal_denies,
]


@pytest.mark.parametrize("case", WRONG_ACTORS, ids=lambda case: case.__name__.strip("_"))
def test_claim_transition_refuses_the_wrong_actor(case, received):
    claim, to_status, actor = case()
    from_status = claim.status

    with pytest.raises(TransitionNotPermitted, match="You cannot make this change"):
        claim_transition(claim=claim, to_status=to_status, actor=actor, reason=REASON)

    assert _stored(claim).status == from_status
    assert _history(claim) == []
    assert _audit(claim, AuditAction.CHANGE) == []
    assert received == []


@pytest.mark.parametrize("case", WRONG_ACTORS, ids=lambda case: case.__name__.strip("_"))
def test_claim_transition_audits_the_refusal_of_the_wrong_actor(case):
    claim, to_status, actor = case()

    with pytest.raises(TransitionNotPermitted):
        claim_transition(claim=claim, to_status=to_status, actor=actor, reason=REASON)

    refusals = _audit(claim, AuditAction.ACCESS_REFUSED)
    assert len(refusals) == 1, "the refused change left no ACCESS_REFUSED audit row"
    assert refusals[0].actor == actor
    assert refusals[0].detail == {"reason": "transition"}


def test_a_triage_lead_of_the_claims_insurer_may_act_for_the_insurer():
    claim = _worked_claim(S.ASSIGNED)
    lead = TriageLeadFactory(insurer=claim.insurer)

    claim_transition(claim=claim, to_status=S.UNDER_REVIEW, actor=lead)

    assert _history(claim) == [(S.ASSIGNED, S.UNDER_REVIEW, lead.pk, "")]


# --- Reasons ------------------------------------------------------------------------------------

DENY_AND_REOPEN = [
    (S.UNDER_REVIEW, S.DENIED),
    (S.COUNTER_PROPOSED, S.DENIED),
    (S.OFFER_DECLINED, S.DENIED),
    (S.OFFER_LAPSED, S.DENIED),
    (S.DENIED, S.UNDER_REVIEW),
    (S.CLOSED, S.UNDER_REVIEW),
]
#: A review's outcome, upheld or changed, always says why.
REVIEW_OUTCOMES = [
    (S.REVIEW_REQUESTED, S.DENIED),
    (S.REVIEW_REQUESTED, S.SETTLED),
    (S.REVIEW_REQUESTED, S.CLOSED),
    (S.REVIEW_REQUESTED, S.UNDER_REVIEW),
]


def test_exactly_refusals_reopenings_and_review_outcomes_require_a_reason():
    required = {pair for pair, move in LIFECYCLE.items() if move.reason_required}
    assert required == set(DENY_AND_REOPEN + REVIEW_OUTCOMES)


@pytest.mark.parametrize(("from_status", "to_status"), DENY_AND_REOPEN + REVIEW_OUTCOMES)
@pytest.mark.parametrize("reason", ["", "   \n\t "], ids=["blank", "whitespace"])
def test_claim_transition_refuses_a_deny_or_reopen_without_a_reason(from_status, to_status, reason):
    claim = _worked_claim(from_status)

    with pytest.raises(ClaimError, match="Give a reason for this change.") as refused:
        claim_transition(
            claim=claim, to_status=to_status, actor=claim.assigned_adjuster, reason=reason
        )

    assert refused.type is ClaimError
    assert _stored(claim).status == from_status
    assert _history(claim) == []


def test_claim_transition_keeps_the_reason_without_surrounding_whitespace():
    claim = _worked_claim(S.UNDER_REVIEW)

    claim_transition(
        claim=claim, to_status=S.DENIED, actor=claim.assigned_adjuster, reason="  No breach.\n"
    )

    assert _history(claim)[0][3] == "No breach."


def test_claim_withdraw_needs_no_reason():
    claim = _worked_claim(S.UNDER_REVIEW)

    claim_withdraw(claim=claim, user=claim.claimant)

    assert _stored(claim).status == S.WITHDRAWN
    assert _history(claim) == [(S.UNDER_REVIEW, S.WITHDRAWN, claim.claimant.pk, "")]


# --- What must hold before a move ---------------------------------------------------------------


def test_claim_transition_sends_a_draft_only_through_claim_submit():
    draft = _worked_claim(S.DRAFT)

    with pytest.raises(ClaimError, match="Send the claim from its check-answers page."):
        claim_transition(claim=draft, to_status=S.SUBMITTED, actor=draft.claimant)

    assert _stored(draft).status == S.DRAFT
    assert _history(draft) == []


INTO_REVIEW = [(f, t) for f, t in sorted(LIFECYCLE) if t == S.UNDER_REVIEW]


@pytest.mark.parametrize(("from_status", "to_status"), INTO_REVIEW)
def test_claim_transition_waits_for_the_authority_form_before_any_review(from_status, to_status):
    claim = _worked_claim(from_status)
    Claim.objects.filter(pk=claim.pk).update(authority_status=AuthorityStatus.TO_VERIFY)

    with pytest.raises(ClaimError, match="Check the advocate's authority form"):
        claim_transition(
            claim=claim, to_status=to_status, actor=claim.assigned_adjuster, reason=REASON
        )

    assert _stored(claim).status == from_status
    assert _history(claim) == []


# --- Signals after commit -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_status", "to_status", "kind"),
    [
        (S.SUBMITTED, S.NEEDS_TRIAGE, Actor.SYSTEM),
        (S.ASSIGNED, S.UNDER_REVIEW, Actor.INSURER),
        (S.SUBMITTED, S.WITHDRAWN, Actor.CLAIMANT),
    ],
)
def test_claim_transition_announces_the_change_only_after_commit(
    from_status, to_status, kind, received, django_capture_on_commit_callbacks
):
    claim = _worked_claim(from_status)
    actor = _actor(kind, claim)

    with django_capture_on_commit_callbacks(execute=True):
        claim_transition(claim=claim, to_status=to_status, actor=actor)
        assert received == [], "announced before the change was committed"

    assert received == [
        (
            "claim_status_changed",
            {
                "claim_id": claim.pk,
                "from_status": from_status,
                "to_status": to_status,
                "actor_id": actor.pk if actor else None,
            },
        )
    ]


def test_claim_transition_announces_nothing_when_the_change_is_rolled_back(
    received, django_capture_on_commit_callbacks
):
    claim = _worked_claim(S.ASSIGNED)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        claim_transition(claim=claim, to_status=S.UNDER_REVIEW, actor=claim.assigned_adjuster)
        raise RuntimeError("the caller failed after the move")

    assert callbacks == []
    assert received == []
    assert _stored(claim).status == S.ASSIGNED


# --- Submission ---------------------------------------------------------------------------------


def test_claim_submit_rejects_an_empty_draft_listing_every_unanswered_step(patient):
    draft = claim_draft_start(patient=patient)

    with pytest.raises(ClaimIncomplete) as incomplete:
        claim_submit(claim=draft, user=patient)

    assert [step.slug for step in incomplete.value.steps] == [
        "about-you",
        "provider",
        "what-happened",
        "the-harm",
        "declaration",
    ]
    assert str(incomplete.value) == "Some questions still need an answer before you can submit."


@pytest.mark.parametrize(
    ("unanswered", "step"),
    [
        ({"phone": ""}, "about-you"),
        ({"provider": None}, "provider"),
        ({"knowledge_date": None}, "what-happened"),
        ({"ongoing_treatment": None}, "the-harm"),
        ({"consent_to_records": False}, "declaration"),
    ],
)
def test_claim_submit_rejects_incomplete_draft_and_changes_nothing(
    patient, unanswered, step, received, django_capture_on_commit_callbacks
):
    draft = complete_draft(patient, **unanswered)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ClaimIncomplete) as incomplete,
    ):
        claim_submit(claim=draft, user=patient)

    assert [s.slug for s in incomplete.value.steps] == [step]
    stored = _stored(draft)
    assert stored.status == S.DRAFT
    assert (stored.reference, stored.submitted_at, stored.limitation_deadline) == (None,) * 3
    assert _history(draft) == []
    assert _audit(draft, AuditAction.CHANGE) == []
    assert received == []
    # No reference number was used up.
    assert claim_submit(claim=complete_draft(patient), user=patient).reference == (
        f"CLM-{_year()}-000001"
    )


def test_claim_submit_numbers_claims_in_order_within_the_year():
    first, second = complete_draft(UserFactory()), complete_draft(UserFactory())

    first = claim_submit(claim=first, user=first.claimant)
    second = claim_submit(claim=second, user=second.claimant)

    assert first.reference == f"CLM-{_year()}-000001"
    assert second.reference == f"CLM-{_year()}-000002"
    assert _stored(second).reference == f"CLM-{_year()}-000002"


def test_claim_submit_submits_a_complete_draft(patient):
    draft = complete_draft(patient, knowledge_date=datetime.date(2024, 6, 10))
    started = timezone.now()

    submitted = claim_submit(claim=draft, user=patient)

    stored = _stored(draft)
    assert submitted.status == stored.status == S.SUBMITTED
    assert stored.reference == f"CLM-{_year()}-000001"
    assert started <= stored.submitted_at <= timezone.now()
    assert stored.limitation_deadline == datetime.date(2027, 6, 10)
    assert _history(draft) == [(S.DRAFT, S.SUBMITTED, patient.pk, "")]
    [change] = _audit(draft, AuditAction.CHANGE)
    assert (change.actor, change.detail) == (patient, {"from": "draft", "to": "submitted"})


@pytest.mark.parametrize(
    ("jurisdiction", "deadline"),
    [
        ("scotland", datetime.date(2029, 6, 10)),
        ("england-wales", datetime.date(2027, 6, 10)),
        (None, datetime.date(2027, 6, 10)),
    ],
    ids=["scottish-provider", "english-provider", "provider-not-listed"],
)
def test_claim_submit_takes_the_limitation_rule_of_the_providers_jurisdiction(
    patient, jurisdiction, deadline
):
    if jurisdiction is None:
        where = {"provider": None, "provider_not_listed": "St Elsewhere, Leeds"}
    else:
        where = {"provider": ProviderFactory(jurisdiction=jurisdiction)}
    draft = complete_draft(patient, knowledge_date=datetime.date(2024, 6, 10), **where)

    claim_submit(claim=draft, user=patient)

    assert _stored(draft).limitation_deadline == deadline


def test_claim_submit_announces_the_submission_only_after_commit(
    patient, received, django_capture_on_commit_callbacks
):
    draft = complete_draft(patient)

    with django_capture_on_commit_callbacks(execute=True):
        claim_submit(claim=draft, user=patient)
        assert received == [], "announced before the submission was committed"

    assert ("claim_submitted", {"claim_id": draft.pk}) in received
    assert [name for name, _ in received].count("claim_submitted") == 1


def test_claim_submit_announces_nothing_and_gives_the_number_back_when_rolled_back(
    patient, received, django_capture_on_commit_callbacks
):
    draft = complete_draft(patient)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        claim_submit(claim=draft, user=patient)
        raise RuntimeError("the request failed after submitting")

    assert callbacks == []
    assert received == []
    assert _stored(draft).status == S.DRAFT
    assert _stored(draft).reference is None
    again = claim_submit(claim=draft, user=patient)
    assert again.reference == f"CLM-{_year()}-000001"


def test_claim_submit_twice_is_a_no_op_returning_the_same_reference(
    patient, received, django_capture_on_commit_callbacks
):
    draft = complete_draft(patient)
    first = claim_submit(claim=draft, user=patient)
    stored = _stored(draft)

    with django_capture_on_commit_callbacks(execute=True):
        again = claim_submit(claim=draft, user=patient)

    assert again.reference == first.reference
    assert again.status == S.SUBMITTED
    assert _stored(draft).submitted_at == stored.submitted_at
    assert len(_history(draft)) == 1
    assert received == []
    assert ClaimReferenceCounter.objects.get(year=_year()).last_number == 1


def test_claim_submit_of_another_patients_draft_is_refused_and_changes_nothing(patient):
    draft = complete_draft(patient)
    intruder = UserFactory()

    with pytest.raises(TransitionNotPermitted):
        claim_submit(claim=draft, user=intruder)

    stored = _stored(draft)
    assert (stored.status, stored.reference, stored.submitted_at) == (S.DRAFT, None, None)
    assert _history(draft) == []
    # The number taken for the refused submission went back.
    assert claim_submit(claim=draft, user=patient).reference == f"CLM-{_year()}-000001"


def test_claim_submit_of_another_patients_draft_is_audited(patient):
    draft = complete_draft(patient)
    intruder = UserFactory()

    with pytest.raises(TransitionNotPermitted):
        claim_submit(claim=draft, user=intruder)

    refusals = _audit(draft, AuditAction.ACCESS_REFUSED)
    assert len(refusals) == 1, "the refused submission left no ACCESS_REFUSED audit row"
    assert refusals[0].actor == intruder


def test_claim_submit_of_another_patients_incomplete_draft_tells_them_nothing_about_it(patient):
    draft = claim_draft_start(patient=patient)

    with pytest.raises((TransitionNotPermitted, Http404)):
        claim_submit(claim=draft, user=UserFactory())


@pytest.mark.parametrize(
    "who", ["another patient", "assigned adjuster", "the portal"], ids=lambda who: who
)
def test_claim_submit_by_anyone_else_leaves_a_submitted_claim_alone(
    patient, who, received, django_capture_on_commit_callbacks
):
    submitted = claim_submit(claim=complete_draft(patient), user=patient)
    adjuster = AdjusterFactory()
    Claim.objects.filter(pk=submitted.pk).update(
        insurer=adjuster.insurer, assigned_adjuster=adjuster
    )
    before = _stored(submitted)
    others = {"another patient": UserFactory(), "assigned adjuster": adjuster, "the portal": None}
    user = others[who]

    # Refusing is right; so would be a quiet no-op. Taking a new reference is not.
    with (
        django_capture_on_commit_callbacks(execute=True),
        contextlib.suppress(TransitionNotPermitted, Http404),
    ):
        claim_submit(claim=before, user=user)

    after = _stored(submitted)
    assert after.reference == before.reference
    assert after.submitted_at == before.submitted_at
    assert ClaimReferenceCounter.objects.get(year=_year()).last_number == 1
    assert received == [], "a second claim_submitted would route the claim again"


# --- Drafts -------------------------------------------------------------------------------------


def test_claim_draft_start_creates_an_empty_draft_for_the_patient_and_audits_it(patient):
    draft = claim_draft_start(patient=patient)

    stored = _stored(draft)
    assert (stored.claimant, stored.status, stored.reference) == (patient, S.DRAFT, None)
    [created] = _audit(draft, AuditAction.CREATE)
    assert created.actor == patient


def test_claim_draft_update_saves_the_answers_and_audits_only_the_field_names(patient):
    draft = claim_draft_start(patient=patient)

    claim_draft_update(
        claim=draft, user=patient, changes={"injuries": "Nerve damage.", "severity": "severe"}
    )

    stored = _stored(draft)
    assert (stored.injuries, stored.severity) == ("Nerve damage.", "severe")
    [change] = _audit(draft, AuditAction.CHANGE)
    assert change.detail == {"fields": ["injuries", "severity"]}


@pytest.mark.parametrize(
    "intruder",
    [UserFactory, AdjusterFactory, AdvocateFactory],
    ids=["another-patient", "adjuster", "advocate"],
)
def test_claim_draft_update_answers_not_found_to_anyone_but_the_patient(patient, intruder):
    draft = claim_draft_start(patient=patient)
    intruder = intruder()

    with pytest.raises(Http404):
        claim_draft_update(claim=draft, user=intruder, changes={"description": "Tampered."})

    assert _stored(draft).description == ""
    [refusal] = _audit(draft, AuditAction.ACCESS_REFUSED)
    assert refusal.actor == intruder
    assert refusal.detail == {"reason": "not an own draft"}
    assert _audit(draft, AuditAction.CHANGE) == []


def test_claim_draft_update_cannot_change_a_submitted_claim(patient):
    submitted = claim_submit(claim=complete_draft(patient), user=patient)

    with pytest.raises(Http404):
        claim_draft_update(claim=submitted, user=patient, changes={"description": "Rewritten."})

    assert _stored(submitted).description == "The wrong knee was operated on."


@pytest.mark.parametrize(
    ("losses", "claimed"),
    [
        ({"earnings": "1200.50", "care": "300", "travel": ""}, Decimal("1500.50")),
        ({"treatment": "0.99"}, Decimal("0.99")),
        ({"travel": "", "other": ""}, None),
        ({}, None),
    ],
    ids=["sum-ignoring-blank", "one-amount", "only-blank-amounts", "no-losses"],
)
def test_claim_draft_update_sets_the_claimed_amount_to_the_sum_of_the_losses(
    patient, losses, claimed
):
    draft = complete_draft(patient, claimed_amount=Decimal("999.00"))

    claim_draft_update(claim=draft, user=patient, changes={"losses": losses})

    stored = _stored(draft)
    assert stored.losses == losses
    assert stored.claimed_amount == claimed


def test_claim_acknowledge_duplicate_records_the_patients_choice(patient):
    draft = claim_draft_start(patient=patient)

    claim_acknowledge_duplicate(claim=draft, user=patient)

    assert _stored(draft).duplicate_acknowledged is True


# --- Withdrawal ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", BEFORE_DECISION)
def test_claim_withdraw_works_for_the_claimant_before_any_decision(status):
    claim = _worked_claim(status)

    withdrawn = claim_withdraw(claim=claim, user=claim.claimant, reason="I have been paid.")

    assert withdrawn.status == _stored(claim).status == S.WITHDRAWN
    assert _history(claim) == [(status, S.WITHDRAWN, claim.claimant.pk, "I have been paid.")]


@pytest.mark.parametrize("status", [S.DRAFT, S.OFFER_MADE, S.SETTLED, S.DENIED, S.CLOSED])
def test_claim_withdraw_is_refused_once_a_decision_is_made(status):
    claim = _worked_claim(status)

    with pytest.raises(InvalidTransition):
        claim_withdraw(claim=claim, user=claim.claimant)

    assert _stored(claim).status == status
    assert _history(claim) == []


def test_claim_withdraw_of_a_withdrawn_claim_changes_nothing():
    # A repeat of the current state is a no-op (a double-clicked button), not an error.
    claim = _worked_claim(S.WITHDRAWN)

    claim_withdraw(claim=claim, user=claim.claimant, reason="Again.")

    assert _stored(claim).status == S.WITHDRAWN
    assert _history(claim) == []


@pytest.mark.parametrize("status", S.values)
def test_can_be_withdrawn_agrees_with_claim_withdraw(status):
    claim = _worked_claim(status)
    try:
        claim_withdraw(claim=claim, user=claim.claimant)
        withdrew = _history(claim) != []
    except InvalidTransition:
        withdrew = False

    assert withdrew == _worked_claim(status).can_be_withdrawn
