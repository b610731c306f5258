"""Reads for the insurer's workspaces. Lists start from the access policy's claims, so nobody
sees a claim they may not; every page's query count is fixed, whatever the number of claims."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from intake import access as claim_access
from intake.models import DECISION_PENDING, OPEN_FOR_ADJUSTER, Claim, ClaimStatus
from portal.access import refuse
from portal.models import User
from triage import access
from triage.models import ClaimNote, RoutingDecision, RoutingRule, RoutingRuleChange, Team

QUEUE_PAGE_SIZE = 25
QUEUE_MAX_PAGES = 200  # bounded pagination: an OFFSET never grows past this
QUEUE_SORTS = {
    "due": ("decide_by", "-priority", "reference"),
    "priority": ("-priority", "decide_by", "reference"),
}


@dataclass(frozen=True)
class QueuePage:
    claims: list[Claim]
    page: int
    has_next: bool
    total: int  # every claim that matches, on any page

    @property
    def first(self) -> int:
        """The position of the page's first claim in the whole list (1-based; 0 for none)."""
        return (self.page - 1) * QUEUE_PAGE_SIZE + 1 if self.claims else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * QUEUE_PAGE_SIZE + len(self.claims)

    @property
    def pages(self) -> int:
        """How many pages the list has, no more than the pages one may open."""
        return min(max(1, -(-self.total // QUEUE_PAGE_SIZE)), QUEUE_MAX_PAGES)

    # What templates/includes/pagination.html reads of a Django Page.
    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def number(self) -> int:
        return self.page

    @property
    def paginator(self) -> "QueuePage":
        return self

    @property
    def num_pages(self) -> int:
        return self.pages

    def previous_page_number(self) -> int:
        return self.page - 1

    def next_page_number(self) -> int:
        return self.page + 1


def adjuster_queue(
    *, user: User, status: str = "", search: str = "", sort: str = "due", page: int = 1
) -> QueuePage:
    """The adjuster's own claims: open ones unless a status is chosen, newest due first."""
    claims = claim_access.claims_visible_to(user).filter(assigned_adjuster=user)
    if status in ClaimStatus.values:
        claims = claims.filter(status=status)
    else:
        claims = claims.filter(status__in=OPEN_FOR_ADJUSTER)
    if search.strip():
        claims = claims.filter(reference__icontains=search.strip()[:20])
    return _page(
        claims.select_related("provider").order_by(*QUEUE_SORTS.get(sort, QUEUE_SORTS["due"])), page
    )


def _page(claims: QuerySet[Claim], page: int) -> QueuePage:
    """One page, fetched with one row more than shown to know if there is a next, and the total
    the page says it is part of: a COUNT read from the adjuster's index (one query, whatever
    the number of claims). A page past the last shows the last."""
    total = claims.order_by().count()
    pages = min(max(1, -(-total // QUEUE_PAGE_SIZE)), QUEUE_MAX_PAGES)
    page = max(1, min(page, pages))
    start = (page - 1) * QUEUE_PAGE_SIZE
    rows = list(claims[start : start + QUEUE_PAGE_SIZE + 1])
    has_next = len(rows) > QUEUE_PAGE_SIZE and page < pages
    return QueuePage(rows[:QUEUE_PAGE_SIZE], page, has_next, total)


def needs_triage_claims(*, lead: User) -> QuerySet[Claim]:
    """The lead's insurer's claims waiting for a person to choose where they go (no rule
    matched, or one could not be applied). Claims no insurer owns are not here: an administrator
    chooses their insurer first."""
    latest_reason = (
        RoutingDecision.objects.filter(claim=OuterRef("pk"))
        .order_by("-decided_at", "-id")
        .values("reason")[:1]
    )
    return (
        claim_access.claims_visible_to(lead)
        .filter(status=ClaimStatus.NEEDS_TRIAGE)
        .select_related("provider")
        .annotate(routing_reason=Subquery(latest_reason))
        .order_by("submitted_at")[:100]
    )


def team_queue_claims(*, lead: User) -> QuerySet[Claim]:
    """Claims routed to a team of the lead's insurer with nobody to take them yet."""
    return (
        claim_access.claims_visible_to(lead)
        .filter(status=ClaimStatus.SUBMITTED, team__isnull=False, insurer_id=lead.insurer_id)
        .select_related("provider", "team")
        .order_by("-priority", "submitted_at")[:100]
    )


#: Claims nobody has acknowledged yet: with an adjuster, or waiting in a team queue.
AWAITING_ACKNOWLEDGEMENT = (ClaimStatus.ASSIGNED, ClaimStatus.SUBMITTED)


def past_acknowledge_by(today: datetime.date) -> Q:
    """Claims nobody acknowledged by their acknowledge-by date."""
    return Q(status__in=AWAITING_ACKNOWLEDGEMENT, acknowledge_by__lt=today)


def past_decide_by(today: datetime.date) -> Q:
    """Claims still owed a decision after their decide-by date."""
    return Q(status__in=DECISION_PENDING, decide_by__lt=today)


def past_a_due_date(today: datetime.date) -> Q:
    """Claims not acknowledged by their acknowledge-by date, or undecided by their decide-by
    date: what the overdue list shows and what the overdue sweep alerts about."""
    return past_acknowledge_by(today) | past_decide_by(today)


def overdue_claims(*, lead: User, today: datetime.date) -> QuerySet[Claim]:
    return (
        claim_access.claims_visible_to(lead)
        .filter(past_a_due_date(today), insurer_id=lead.insurer_id)
        .select_related("assigned_adjuster", "provider")
        .order_by("decide_by")[:100]
    )


@dataclass(frozen=True)
class WorkspaceCounts:
    needs_triage: int
    overdue_acknowledge: int
    overdue_decide: int

    @property
    def overdue(self) -> int:
        return self.overdue_acknowledge + self.overdue_decide


def workspace_counts(*, lead: User, today: datetime.date) -> WorkspaceCounts:
    """How many of the lead's insurer's claims wait for triage or are past a due date, in one
    query (the lists on the workspace show the first of each; the counts say how many in all)."""
    totals = (
        claim_access.claims_visible_to(lead)
        .filter(insurer_id=lead.insurer_id)
        .aggregate(
            needs_triage=Count("pk", filter=Q(status=ClaimStatus.NEEDS_TRIAGE)),
            overdue_acknowledge=Count("pk", filter=past_acknowledge_by(today)),
            overdue_decide=Count("pk", filter=past_decide_by(today)),
        )
    )
    return WorkspaceCounts(**totals)


def teams_with_unassigned(*, lead: User) -> QuerySet[Team]:
    """The lead's insurer's teams, each with its claims waiting for an adjuster, in one query."""
    return (
        Team.objects.filter(insurer_id=lead.insurer_id)
        .annotate(
            unassigned=Count(
                "claims",
                filter=Q(
                    claims__status=ClaimStatus.SUBMITTED,
                    claims__assigned_adjuster__isnull=True,
                    claims__insurer_id=lead.insurer_id,
                ),
            )
        )
        .order_by("name")
    )


def adjuster_workload(*, lead: User) -> QuerySet[User]:
    """The lead's adjusters with their open claims and capacity, in one query."""
    open_claims = (
        Claim.objects.filter(assigned_adjuster=OuterRef("pk"), status__in=OPEN_FOR_ADJUSTER)
        .order_by()
        .values("assigned_adjuster")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        access.adjusters_visible_to(lead)
        .filter(is_active=True)
        .select_related("adjuster_profile")
        .annotate(
            open_claims=Coalesce(Subquery(open_claims, output_field=IntegerField()), Value(0))
        )
        .order_by("full_name")
    )


def claim_routing_decisions(*, user: User, claim: Claim) -> QuerySet[RoutingDecision]:
    """Why the claim went where it went: for the insurer's staff on it."""
    if not claim_access.claim_may_work(user, claim):
        return RoutingDecision.objects.none()
    return claim.routing_decisions.select_related("actor").order_by("-decided_at", "-id")


def claim_notes(*, user: User, claim: Claim) -> QuerySet[ClaimNote]:
    if not claim_access.claim_may_read_notes(user, claim):
        return ClaimNote.objects.none()
    return claim.notes.select_related("author").order_by("written_at", "id")


def routing_rules_for(*, lead: User) -> QuerySet[RoutingRule]:
    return (
        RoutingRule.objects.filter(insurer_id=lead.insurer_id)
        .select_related("team", "provider")
        .order_by("is_default", "position")
    )


def routing_rule_get_for_lead(*, lead: User, rule_id: int) -> RoutingRule:
    rule = routing_rules_for(lead=lead).filter(pk=rule_id).first()
    if rule is None:
        refuse(user=lead, object_type="triage.routingrule", object_id=rule_id, reason="rule")
    return rule


def routing_rule_changes_for(*, lead: User) -> QuerySet[RoutingRuleChange]:
    return RoutingRuleChange.objects.filter(insurer_id=lead.insurer_id).select_related("actor")[:50]


def adjuster_get_for_lead(*, lead: User, adjuster_id: int) -> User:
    adjuster = access.adjusters_visible_to(lead).filter(pk=adjuster_id).first()
    if adjuster is None:
        refuse(user=lead, object_type="portal.user", object_id=adjuster_id, reason="staff")
    return adjuster
