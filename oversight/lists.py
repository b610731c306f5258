"""Reads for the insurer's claims list: whose claims a person may list, and keyset pages of them.

Pages are keyed on the sort column and the claim's id (`WHERE (key, id) > (last key, last id)
ORDER BY key, id LIMIT n`), never OFFSET: the last page costs what the first does, and a claim
added while someone pages does not shift every later page by one. The total is one COUNT; the
position shown ("51 to 100") travels in the URL, since counting the rows before a page would cost
what OFFSET does.
"""

import datetime
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import DateTimeField, Expression, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from intake.models import Claim, ClaimStatus, ClaimStatusChange
from oversight.filters import DECISION_STATUSES
from portal.models import Role, User
from triage.models import Team

PAGE_SIZE = 50
EXPORT_BATCH = 1_000
#: Stands in for a missing date so that undated claims sort last, and a page boundary on one is
#: still a value to compare with.
NO_DATE = datetime.date(9999, 12, 31)


@dataclass(frozen=True)
class Sort:
    label: str  # lazily translated
    key: Expression
    descending: bool  # the first click's direction


SORTS = {
    "reference": Sort(_("Reference"), F("reference"), False),
    # Every claim past the draft has submitted_at (claim_submit sets it with the reference).
    "received": Sort(_("Received"), F("submitted_at"), True),
    "status": Sort(_("Status"), F("status"), False),
    "priority": Sort(_("Priority"), F("priority"), True),
    "acknowledge_by": Sort(_("Acknowledge by"), Coalesce("acknowledge_by", Value(NO_DATE)), False),
    "decide_by": Sort(_("Decide by"), Coalesce("decide_by", Value(NO_DATE)), False),
    "adjuster": Sort(_("Adjuster"), Coalesce("assigned_adjuster__full_name", Value("")), False),
}
DEFAULT_SORT = "received"


@dataclass(frozen=True)
class Order:
    """A sort column and its direction, as the URL gives them (anything unknown: the default)."""

    sort: str = DEFAULT_SORT
    descending: bool = True

    @classmethod
    def parse(cls, sort: str, direction: str) -> "Order":
        if sort not in SORTS:
            return cls()
        if direction not in ("asc", "desc"):
            return cls(sort, SORTS[sort].descending)
        return cls(sort, direction == "desc")

    @property
    def direction(self) -> str:
        return "desc" if self.descending else "asc"


@dataclass(frozen=True)
class ClaimsPage:
    claims: list[Claim]
    total: int
    first: int  # position of the first claim shown, counting from 1
    has_previous: bool
    has_next: bool

    @property
    def last(self) -> int:
        return self.first + len(self.claims) - 1


def claims_listable_by(user: User) -> QuerySet[Claim]:
    """Claims `user` may see in the list: every submitted claim of a triage lead's insurer; for
    an adjuster, those of the teams they belong to. Nobody else lists claims."""
    if not (user.is_authenticated and user.is_active and user.insurer_id):
        return Claim.objects.none()
    claims = Claim.objects.filter(insurer_id=user.insurer_id).exclude(status=ClaimStatus.DRAFT)
    if user.role == Role.TRIAGE_LEAD:
        return claims
    if user.role == Role.ADJUSTER:
        return claims.filter(team__in=Team.objects.filter(members=user).values("pk"))
    return Claim.objects.none()


def claims_list_may_open(user: User) -> bool:
    """The claims list is for an insurer's triage leads and adjusters."""
    return user.is_authenticated and user.role in (Role.TRIAGE_LEAD, Role.ADJUSTER)


def _decided_at() -> Subquery:
    latest = (
        ClaimStatusChange.objects.filter(claim=OuterRef("pk"), to_status__in=DECISION_STATUSES)
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    return Subquery(latest, output_field=DateTimeField())


def _ordered(claims: QuerySet[Claim], order: Order, *, backwards: bool = False) -> QuerySet:
    descending = order.descending != backwards
    key = F("sort_key").desc() if descending else F("sort_key").asc()
    return claims.annotate(sort_key=SORTS[order.sort].key).order_by(
        key, "-pk" if descending else "pk"
    )


def _beyond(claims: QuerySet, order: Order, cursor: tuple, *, backwards: bool = False) -> QuerySet:
    """Rows after `cursor` (key, id) in the order's direction (before it when `backwards`). The
    plain `key <= value` bound lets the index start there; the OR only sorts out equal keys."""
    value, pk = cursor
    if order.descending != backwards:
        return claims.filter(Q(sort_key__lt=value) | Q(pk__lt=pk), sort_key__lte=value)
    return claims.filter(Q(sort_key__gt=value) | Q(pk__gt=pk), sort_key__gte=value)


def _cursor(claims: QuerySet[Claim], order: Order, claim_id: str) -> tuple | None:
    """(sort key, id) of the claim a page starts after, when it is among `claims`."""
    try:
        pk = uuid.UUID(str(claim_id))
    except ValueError:
        return None
    row = _ordered(claims, order).filter(pk=pk).values_list("sort_key", "pk").first()
    return row if row and row[0] is not None else None


def _shown(claims: QuerySet) -> QuerySet:
    return claims.select_related("provider", "team", "assigned_adjuster").annotate(
        decided_at=_decided_at()
    )


def claims_page(
    *,
    claims: QuerySet[Claim],
    order: Order,
    after: str = "",
    before: str = "",
    last: bool = False,
    start: int = 1,
) -> ClaimsPage:
    """One page of `claims` (already filtered and scoped) in `order`: the first, the last, the
    one after the claim `after` or the one before the claim `before`. `start` is the position
    the link said the page starts at (display only: it is clamped, never trusted for access)."""
    total = claims.order_by().count()
    if last:
        rows = list(_shown(_ordered(claims, order, backwards=True))[:PAGE_SIZE])[::-1]
        return ClaimsPage(rows, total, max(1, total - len(rows) + 1), total > len(rows), False)
    cursor = _cursor(claims, order, after or before)
    if cursor is not None and before:
        backwards = _beyond(_ordered(claims, order, backwards=True), order, cursor, backwards=True)
        rows = list(_shown(backwards)[: PAGE_SIZE + 1])
        if len(rows) > PAGE_SIZE:
            rows = rows[:PAGE_SIZE][::-1]
            first = min(max(2, start), max(2, total - len(rows) + 1))
            return ClaimsPage(rows, total, first, True, True)
        cursor = None  # fewer than a page before it: that is the first page
    ordered = _ordered(claims, order)
    if cursor is not None:
        ordered = _beyond(ordered, order, cursor)
    rows = list(_shown(ordered)[: PAGE_SIZE + 1])
    first = 1 if cursor is None else min(max(2, start), max(2, total))
    return ClaimsPage(rows[:PAGE_SIZE], total, first, cursor is not None, len(rows) > PAGE_SIZE)


def claims_in_batches(*, claims: QuerySet[Claim], order: Order) -> Iterator[list[Claim]]:
    """Every claim of `claims` in `order`, a keyset batch at a time: an export of any size holds
    one batch in memory, and each batch costs what the first does."""
    cursor = None
    while True:
        ordered = _ordered(claims, order)
        if cursor is not None:
            ordered = _beyond(ordered, order, cursor)
        batch = list(_shown(ordered)[:EXPORT_BATCH])
        if not batch:
            return
        yield batch
        if len(batch) < EXPORT_BATCH:
            return
        cursor = (batch[-1].sort_key, batch[-1].pk)
