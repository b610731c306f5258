"""Routing a submitted claim to its insurer, team and adjuster, and the triage lead's changes.

Every status change goes through intake's claim_transition; this module decides where a claim
goes and records why, in words a triage lead can read.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Count, F, FloatField, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from intake import access as claim_access
from intake.models import (
    DECISION_PENDING,
    OPEN_FOR_ADJUSTER,
    Claim,
    ClaimStatus,
    InformationRequest,
)
from intake.selectors import claim_jurisdiction_profile
from intake.services import (
    ClaimError,
    TransitionNotPermitted,
    claim_change_refuse,
    claim_message_send,
    claim_transition,
)
from notifications.outbox import notification_create_for_event
from portal.access import admin_site_may_use, audit_refusal, refuse
from portal.models import AuditAction, Coverage, Insurer, Role, User
from portal.selectors import triage_leads_of
from portal.services import audit_event_record
from triage import access
from triage.alerts import alert_triage_leads
from triage.calendar import add_business_days
from triage.matching import first_matching_rule, rule_summary
from triage.models import (
    SERVICE_DAYS_MAX,
    SERVICE_DAYS_MIN,
    AdjusterProfile,
    ClaimNote,
    RoutingDecision,
    RoutingRule,
    RoutingRuleChange,
    Team,
)
from triage.selectors import AWAITING_ACKNOWLEDGEMENT, past_a_due_date


@dataclass(frozen=True)
class Candidate:
    profile: AdjusterProfile
    open_claims: int

    @property
    def load(self) -> float:
        return self.open_claims / self.profile.capacity

    @property
    def has_room(self) -> bool:
        return self.open_claims < self.profile.capacity


def claim_route(*, claim_id) -> Claim | None:
    """Route a submitted claim: insurer by coverage on the incident date, team by the insurer's
    first matching rule, adjuster by load. Without coverage or a matching rule it goes to the
    needs-triage queue; with a full team it waits in the team's queue.

    Idempotent: a claim that is gone, or no longer waiting to be routed, is left as it is.
    """
    with transaction.atomic():
        claim = (
            Claim.objects.select_for_update(of=("self",))
            .select_related("provider")
            .filter(pk=claim_id, status=ClaimStatus.SUBMITTED, team__isnull=True)
            .first()
        )
        if claim is None:
            return None
        insurer = _insurer_on_incident_date(claim)
        if insurer is None:
            return _send_to_needs_triage(claim, _why_no_insurer(claim))
        return _route_for_insurer(claim, insurer)


def _route_for_insurer(claim: Claim, insurer: Insurer) -> Claim:
    """Route a locked claim by `insurer`'s rules. No matching rule, or a rule that cannot be
    applied, sends it to the insurer's needs-triage queue with the reason: one bad rule never
    leaves a claim unrouted."""
    claim.insurer = insurer
    rules = RoutingRule.objects.filter(insurer=insurer).select_related("team", "provider")
    try:
        rule = first_matching_rule(rules=rules, claim=claim, today=timezone.localdate())
    except (TypeError, ValueError, OverflowError):
        # A condition stored in a shape the matcher cannot read (written around the form).
        return _send_to_needs_triage(
            claim, f"the routing rules of {insurer.name} could not be read: a triage lead routes it"
        )
    if rule is None:
        return _send_to_needs_triage(claim, f"no routing rule of {insurer.name} matched")
    problem = _rule_problem(rule)
    if problem is None:
        try:
            _apply_rule(claim, rule)
        except (ValueError, OverflowError):
            problem = "its due dates cannot be worked out"
    if problem is not None:
        return _send_to_needs_triage(
            claim, f"{rule_summary(rule)} could not be applied ({problem}): a triage lead routes it"
        )
    return _assign_within_team(claim, rule=rule, actor=None)


def _rule_problem(rule: RoutingRule) -> str | None:
    """What makes `rule` unusable for routing, in words, or None. The forms and the database's
    check constraints keep such values out; this holds for a row that got past both."""
    for field in ("days_to_acknowledge", "days_to_decide"):
        days = getattr(rule, field)
        if not SERVICE_DAYS_MIN <= days <= SERVICE_DAYS_MAX:
            label = RoutingRule._meta.get_field(field).verbose_name
            return f"{label} is {days}, outside {SERVICE_DAYS_MIN}–{SERVICE_DAYS_MAX:,}"
    if rule.team.insurer_id != rule.insurer_id:
        return "its team is not one of the insurer's"
    return None


def _insurer_on_incident_date(claim: Claim) -> Insurer | None:
    if not claim.provider_id:
        return None
    coverage = (
        Coverage.objects.on(claim.incident_date)
        .filter(provider_id=claim.provider_id)
        .select_related("insurer")
        .first()
    )
    return coverage.insurer if coverage else None


def _why_no_insurer(claim: Claim) -> str:
    if not claim.provider_id:
        return "provider not listed: an administrator chooses the insurer"
    return (
        f"no insurer covered {claim.provider.name} on {claim.incident_date:%d %b %Y}: "
        "an administrator chooses the insurer"
    )


def _send_to_needs_triage(claim: Claim, reason: str) -> Claim:
    claim.save(update_fields=["insurer"])
    RoutingDecision.objects.create(claim=claim, reason=reason)
    return claim_transition(claim=claim, to_status=ClaimStatus.NEEDS_TRIAGE, actor=None)


def _apply_rule(claim: Claim, rule: RoutingRule) -> None:
    # Both dates first: a rule that fails here has changed nothing on the claim.
    acknowledge_by, decide_by = _due_dates(
        claim, days_to_acknowledge=rule.days_to_acknowledge, days_to_decide=rule.days_to_decide
    )
    claim.team = rule.team
    claim.priority = rule.priority
    claim.acknowledge_by, claim.decide_by = acknowledge_by, decide_by
    claim.save(update_fields=["insurer", "team", "priority", "acknowledge_by", "decide_by"])


def _due_dates(
    claim: Claim, *, days_to_acknowledge: int, days_to_decide: int
) -> tuple[datetime.date, datetime.date]:
    """(acknowledge by, decide by): the insurer's service levels in business days from today,
    but never later than its jurisdiction's limits from the day the claim was sent (England and
    Wales: the Pre-Action Protocol's 14 days and 4 months). An insurer may promise quicker, not
    slower."""
    today = timezone.localdate()
    sent = timezone.localdate(claim.submitted_at) if claim.submitted_at else today
    profile = claim_jurisdiction_profile(claim)
    return (
        min(
            add_business_days(today, days_to_acknowledge),
            sent + datetime.timedelta(days=profile.days_to_acknowledge),
        ),
        min(
            add_business_days(today, days_to_decide),
            sent + relativedelta(months=profile.months_to_respond),
        ),
    )


def _assign_within_team(
    claim: Claim, *, rule: RoutingRule | None, actor: User | None, exclude: User | None = None
) -> Claim:
    """Give the claim to the least-loaded fitting adjuster of its team, or keep it in the team's
    queue when nobody has room. The claim must be locked by the caller."""
    chosen = _least_loaded(claim, exclude=exclude)
    prefix = f"{rule_summary(rule)} → {claim.team.name}" if rule else claim.team.name
    if chosen is None:
        RoutingDecision.objects.create(
            claim=claim,
            rule=rule,
            team=claim.team,
            actor=actor,
            reason=f"{prefix}; nobody in the team has room: waiting in the team queue",
        )
        alert_triage_leads(claim=claim, subject="team_full")
        return claim
    adjuster = chosen.profile.user
    claim.assigned_adjuster = adjuster
    claim.save(update_fields=["assigned_adjuster"])
    chosen.profile.last_assigned_at = timezone.now()
    chosen.profile.save(update_fields=["last_assigned_at"])
    RoutingDecision.objects.create(
        claim=claim,
        rule=rule,
        team=claim.team,
        adjuster=adjuster,
        actor=actor,
        reason=(
            f"{prefix}; assigned to {_initialled(adjuster)}, "
            f"{chosen.open_claims + 1} of {chosen.profile.capacity} open"
        ),
    )
    if claim.status in (ClaimStatus.SUBMITTED, ClaimStatus.NEEDS_TRIAGE):
        return claim_transition(claim=claim, to_status=ClaimStatus.ASSIGNED, actor=actor)
    return claim


def _least_loaded(claim: Claim, *, exclude: User | None) -> Candidate | None:
    """The fitting adjuster with the lowest open ÷ capacity, ties to the one assigned least
    recently, or None when nobody has room.

    Routing into a team is serialised by a lock on the team's row, and the chosen adjuster's
    profile is locked and their open claims counted again before the claim is theirs, so claims
    routed at the same moment (into this team or another they belong to) never push anyone past
    capacity. The claim must be locked by the caller.
    """
    Team.objects.select_for_update().filter(pk=claim.team_id).first()
    for candidate in _ranked_candidates(claim, exclude=exclude):
        locked = (
            AdjusterProfile.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=candidate.profile.pk)
        )
        # Counted after the lock is held, in a new statement, so earlier assignments are seen.
        open_now = _open_claims_by_adjuster([locked.user_id]).get(locked.user_id, 0)
        confirmed = Candidate(locked, open_now)
        if confirmed.has_room and not locked.on_leave:
            return confirmed
    return None


def _ranked_candidates(claim: Claim, *, exclude: User | None) -> Iterator[Candidate]:
    """Team members who may take the claim (active, not on leave, not conflicted with its
    provider, with room), least loaded first; the database ranks them, so a team of a thousand
    costs no more than a team of ten. Skills and regions are checked here as rows stream in."""
    profiles = (
        AdjusterProfile.objects.filter(
            user__teams=claim.team,
            user__is_active=True,
            user__role=Role.ADJUSTER,
            user__insurer_id=claim.insurer_id,
            on_leave=False,
            capacity__gt=0,
        )
        .exclude(user=exclude)
        .annotate(open_claims=_open_claims_of_profile())
        .filter(open_claims__lt=F("capacity"))
        .annotate(load=Cast("open_claims", FloatField()) / Cast("capacity", FloatField()))
        .select_related("user")
        .order_by("load", F("last_assigned_at").asc(nulls_first=True), "pk")
    )
    if claim.provider_id:
        # Only with a provider: excluding "conflicted with no provider" would drop everyone
        # without conflicts.
        profiles = profiles.exclude(user__conflicts__provider_id=claim.provider_id)
    region = claim.provider.region if claim.provider_id else ""
    for profile in profiles.iterator(chunk_size=50):
        if profile.fits(harm_category=claim.harm_category, region=region):
            yield Candidate(profile, profile.open_claims)


def _open_claims_of_profile():
    counts = (
        Claim.objects.filter(assigned_adjuster=OuterRef("user_id"), status__in=OPEN_FOR_ADJUSTER)
        .order_by()
        .values("assigned_adjuster")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def _open_claims_by_adjuster(user_ids: list[int]) -> dict[int, int]:
    rows = (
        Claim.objects.filter(assigned_adjuster_id__in=user_ids, status__in=OPEN_FOR_ADJUSTER)
        .values("assigned_adjuster_id")
        .annotate(n=Count("pk"))
    )
    return {row["assigned_adjuster_id"]: row["n"] for row in rows}


def _initialled(user: User) -> str:
    """'A. Patel' for Asha Patel: enough for colleagues to know who."""
    parts = user.get_full_name().split()
    if len(parts) < 2:
        return user.get_full_name()
    return f"{parts[0][0]}. {parts[-1]}"


# --- Sweeps run by beat ---------------------------------------------------------------------
#: A submitted claim not routed after this long lost its routing task (broker down, say).
ROUTING_GRACE = datetime.timedelta(minutes=2)


def claims_route_waiting(*, now: datetime.datetime | None = None) -> int:
    """Route submitted claims still waiting after the grace period; returns how many moved on."""
    cutoff = (now or timezone.now()) - ROUTING_GRACE
    waiting = Claim.objects.filter(
        status=ClaimStatus.SUBMITTED, team__isnull=True, submitted_at__lt=cutoff
    ).values_list("pk", flat=True)
    return sum(1 for claim_id in waiting if claim_route(claim_id=claim_id) is not None)


def claims_flag_overdue(*, today: datetime.date | None = None) -> int:
    """For each breach of a due date, tell the patient's side once that the insurer missed it,
    and alert the insurer's triage leads once; returns the alerts sent to leads."""
    today = today or timezone.localdate()
    sent = 0
    for claim in Claim.objects.filter(past_a_due_date(today)).select_related("insurer"):
        has_leads = triage_leads_of(insurer_id=claim.insurer_id).exists()
        sent += sum(
            _alert_breach_once(claim, breach, leads=has_leads, today=today)
            for breach in _breaches(claim, today)
        )
    return sent


def breach_key(what: str, due: datetime.date) -> str:
    """How a missed date is named in Claim.overdue_alerts: "acknowledge:2027-03-03"."""
    return f"{what}:{due.isoformat()}"


def patient_told_key(breach: str) -> str:
    """The mark in Claim.overdue_alerts that the patient's side was told of `breach`."""
    return f"patient-told:{breach}"


def _breaches(claim: Claim, today: datetime.date) -> list[str]:
    breaches = []
    awaiting = claim.status in AWAITING_ACKNOWLEDGEMENT
    if awaiting and claim.acknowledge_by and claim.acknowledge_by < today:
        breaches.append(breach_key("acknowledge", claim.acknowledge_by))
    undecided = awaiting or claim.status in DECISION_PENDING
    if undecided and claim.decide_by and claim.decide_by < today:
        breaches.append(breach_key("decide", claim.decide_by))
    return breaches


def _alert_breach_once(claim: Claim, breach: str, *, leads: bool, today: datetime.date) -> bool:
    """Tell the patient (and advocates) that the insurer missed a date, and alert the leads, each
    once, recorded in the same transaction as the notices; True when the leads were alerted now.

    The patient's notice does not wait for a lead: it is marked apart. With no lead to tell, the
    breach itself stays unrecorded, so a lead added later still hears of it."""
    with transaction.atomic():
        locked = (
            Claim.objects.select_for_update(of=("self",))
            .select_related("claimant")
            .get(pk=claim.pk)
        )
        if breach not in _breaches(locked, today):
            return False  # acknowledged or decided since the sweep read it
        recorded = list(locked.overdue_alerts)
        if patient_told_key(breach) not in recorded:
            notification_create_for_event(
                kind="date_missed", event_key=f"date-missed:{locked.pk}:{breach}", claim=locked
            )
            recorded.append(patient_told_key(breach))
        alerted = leads and breach not in recorded
        if alerted:
            alert_triage_leads(claim=locked, subject="overdue")
            recorded.append(breach)
        if recorded != locked.overdue_alerts:
            locked.overdue_alerts = recorded
            locked.save(update_fields=["overdue_alerts"])
        return alerted


# --- The triage lead's and the staff's changes ----------------------------------------------


def claim_assign(
    *, claim: Claim, lead: User, reason: str, adjuster: User | None = None, team=None
) -> Claim:
    """A triage lead assigns a claim of their insurer: to `adjuster`, or by the assignment rules
    within `team` (default: the claim's team). Raises ClaimError with a message for the lead."""
    if not claim_access.claim_may_route(lead, claim):
        audit_refusal(user=lead, object_type="intake.claim", object_id=claim.pk, reason="assign")
        raise TransitionNotPermitted(_("You cannot assign this claim."))
    if not reason.strip():
        raise ClaimError(_("Give a reason for this assignment."))
    with transaction.atomic():
        locked = (
            Claim.objects.select_for_update(of=("self",))
            .select_related("provider")
            .get(pk=claim.pk)
        )
        locked.team = team or locked.team or _team_of(adjuster)
        if locked.team is None or locked.team.insurer_id != locked.insurer_id:
            raise ClaimError(_("Choose a team of your insurer for this claim."))
        if locked.decide_by is None:
            _apply_service_levels(locked)
        locked.save(update_fields=["insurer", "team", "acknowledge_by", "decide_by", "priority"])
        if adjuster is None:
            return _assign_within_team(locked, rule=None, actor=lead)
        return _assign_to(locked, adjuster=adjuster, lead=lead, reason=reason.strip())


def _team_of(adjuster: User | None):
    return adjuster.teams.first() if adjuster else None


#: Service levels of a claim taken by hand when the insurer has no usable default rule.
FALLBACK_DAYS_TO_ACKNOWLEDGE, FALLBACK_DAYS_TO_DECIDE = 5, 60


def _apply_service_levels(claim: Claim) -> None:
    """Due dates for a claim taken by hand: the service levels of the insurer's default rule,
    capped by the jurisdiction's (see _due_dates)."""
    rule = RoutingRule.objects.filter(insurer_id=claim.insurer_id, is_default=True).first()
    usable = rule is not None and _rule_problem(rule) is None
    claim.acknowledge_by, claim.decide_by = _due_dates(
        claim,
        days_to_acknowledge=rule.days_to_acknowledge if usable else FALLBACK_DAYS_TO_ACKNOWLEDGE,
        days_to_decide=rule.days_to_decide if usable else FALLBACK_DAYS_TO_DECIDE,
    )
    claim.priority = rule.priority if usable else claim.priority


def _assign_to(claim: Claim, *, adjuster: User, lead: User, reason: str) -> Claim:
    if not access.adjuster_may_assign(lead, adjuster):
        raise ClaimError(_("Choose an active adjuster of your insurer."))
    claim.assigned_adjuster = adjuster
    claim.save(update_fields=["assigned_adjuster"])
    RoutingDecision.objects.create(
        claim=claim,
        team=claim.team,
        adjuster=adjuster,
        actor=lead,
        reason=f"assigned by {_initialled(lead)} to {_initialled(adjuster)}: {reason}",
    )
    if claim.status in (ClaimStatus.SUBMITTED, ClaimStatus.NEEDS_TRIAGE):
        return claim_transition(claim=claim, to_status=ClaimStatus.ASSIGNED, actor=lead)
    return claim


def claim_insurer_choose(*, claim: Claim, insurer: Insurer, admin: User) -> Claim:
    """An administrator gives a claim no insurer owns to `insurer`: it is routed by that
    insurer's rules, or waits in its needs-triage queue; audited. Raises ClaimError with a
    message for the administrator (TransitionNotPermitted for anyone else)."""
    if not admin_site_may_use(admin):
        audit_refusal(
            user=admin, object_type="intake.claim", object_id=claim.pk, reason="choose insurer"
        )
        raise TransitionNotPermitted(_("Only an administrator can choose a claim's insurer."))
    with transaction.atomic():
        locked = (
            Claim.objects.select_for_update(of=("self",))
            .select_related("provider")
            .get(pk=claim.pk)
        )
        if not claim_access.claim_may_choose_insurer(admin, locked):
            raise ClaimError(
                _("Claim %(reference)s already has an insurer; its triage leads route it.")
                % {"reference": locked.reference}
            )
        RoutingDecision.objects.create(
            claim=locked, actor=admin, reason=f"insurer chosen by an administrator: {insurer.name}"
        )
        audit_event_record(
            action=AuditAction.CHANGE,
            actor=admin,
            obj=locked,
            detail={"change": "insurer chosen", "insurer": str(insurer.pk)},
        )
        return _route_for_insurer(locked, insurer)


def adjuster_set_leave(*, lead: User, adjuster: User, on_leave: bool) -> int:
    """Mark an adjuster on leave (their open claims go to colleagues by the assignment rules)
    or back. Returns how many claims moved; claims nobody has room for stay and are reported."""
    if not access.adjuster_may_manage(lead, adjuster):
        refuse(user=lead, object_type="portal.user", object_id=adjuster.pk, reason="leave")
    profile, _created = AdjusterProfile.objects.get_or_create(user=adjuster)
    profile.on_leave = on_leave
    profile.save(update_fields=["on_leave"])
    audit_event_record(
        action=AuditAction.CHANGE, actor=lead, obj=profile, detail={"on_leave": on_leave}
    )
    if not on_leave:
        return 0
    moved = 0
    for claim_id in Claim.objects.filter(
        assigned_adjuster=adjuster, status__in=OPEN_FOR_ADJUSTER
    ).values_list("pk", flat=True):
        with transaction.atomic():
            claim = (
                Claim.objects.select_for_update(of=("self",))
                .select_related("provider", "team")
                .get(pk=claim_id)
            )
            if claim.team is None:
                continue
            result = _assign_within_team(claim, rule=None, actor=lead, exclude=adjuster)
            moved += result.assigned_adjuster_id != adjuster.pk
    return moved


def claim_note_add(*, claim: Claim, author: User, body: str) -> ClaimNote:
    """An internal note, for the insurer's staff on the claim only."""
    if not claim_access.claim_may_read_notes(author, claim):
        refuse(user=author, object_type="intake.claim", object_id=claim.pk, reason="note")
    note = ClaimNote.objects.create(claim=claim, author=author, body=body.strip())
    audit_event_record(action=AuditAction.CREATE, actor=author, obj=note)
    return note


def routing_rule_save(*, rule: RoutingRule, actor: User) -> RoutingRule:
    """Create or change a rule of the actor's insurer, keeping who, when, before and after."""
    if not access.routing_rules_may_edit(actor, rule.insurer_id):
        refuse(
            user=actor,
            object_type="triage.routingrule",
            object_id=rule.pk or "",
            reason="edit rule",
        )
    before = None
    if rule.pk:
        before = _rule_snapshot(RoutingRule.objects.get(pk=rule.pk))
    rule.save()
    RoutingRuleChange.objects.create(
        insurer_id=rule.insurer_id,
        rule_id_at_change=rule.pk,
        actor=actor,
        before=before,
        after=_rule_snapshot(rule),
    )
    return rule


def _rule_snapshot(rule: RoutingRule) -> dict:
    return {
        field.name: str(value) if (value := getattr(rule, field.attname)) is not None else None
        for field in RoutingRule._meta.concrete_fields
        if field.name not in ("id", "insurer")
    } | {"harm_categories": rule.harm_categories, "severities": rule.severities}


# --- The adjuster's decisions on a claim they work --------------------------------------------


def claim_request_information(
    *, claim: Claim, adjuster: User, body: str, due_date: datetime.date
) -> InformationRequest:
    """Ask the patient for more information by `due_date`; the claim waits for their answer."""
    if not claim_access.claim_may_work(adjuster, claim):
        claim_change_refuse(user=adjuster, claim=claim)  # before the transaction: the audit stays
    if due_date <= timezone.localdate():
        raise ClaimError(_("The reply-by date must be in the future."))
    with transaction.atomic():
        claim_transition(claim=claim, to_status=ClaimStatus.INFORMATION_REQUESTED, actor=adjuster)
        message = claim_message_send(claim=claim, author=adjuster, body=body, notify=False)
        return InformationRequest.objects.create(claim=claim, message=message, due_date=due_date)
