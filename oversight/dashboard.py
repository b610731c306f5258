"""The dashboard's figures, as plain data: what each chart draws and its table shows.

Every figure is one aggregate query (two for the workload) over indexed columns, so the page
costs the same number of queries whatever the size of the book, and reads only the rows it
counts: the claims the insurer received in the period (index claim_insurer_submitted_idx), its
open claims (claim_insurer_status_idx), offers, settlements and payments of the period (their
date indexes). There is no rollup table: the figures are always current.

What each figure counts:

- on time: claims received in the period with a due date. Acknowledged (first move from
  assigned to under review) or decided (first offer or refusal) on or before the due date is on
  time; after it, or still owed after it, is late; still owed before it is "not yet due".
- claims by status: the period's claims by their current status, in the lifecycle's order.
- age of open claims: every open claim now (whatever the period), by days since it was sent.
- received per week: claims sent in the period, by the week (Monday to Sunday) they came in.
- offers: offers made in the period by week, and how many of those were accepted.
- time to settle: settlements agreed in the period, by days from sending to agreement.
- reserves and payments: reserves now held on open claims (each claim's latest), and payments
  dated in the period.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from intake.models import (
    DECISION_PENDING,
    OPEN_FOR_ADJUSTER,
    Claim,
    ClaimStatus,
    ClaimStatusChange,
)
from portal.models import Insurer, Role, User
from resolution.dates import NOT_YET_ACKNOWLEDGED, NOT_YET_DECIDED, RESPONSES
from resolution.models import Offer, OfferState, Payment, Reserve, Settlement
from resolution.money import pounds
from triage.models import AdjusterProfile, Team

S = ClaimStatus
#: Claims not yet at an end: still the insurer's work (a settled claim until it is paid).
OPEN_STATUSES = (S.SUBMITTED, S.NEEDS_TRIAGE, *OPEN_FOR_ADJUSTER)
#: The order of the funnel: the way a claim goes, then the ways it ends.
FUNNEL_ORDER = (
    S.SUBMITTED,
    S.NEEDS_TRIAGE,
    S.ASSIGNED,
    S.UNDER_REVIEW,
    S.INFORMATION_REQUESTED,
    S.OFFER_MADE,
    S.COUNTER_PROPOSED,
    S.OFFER_DECLINED,
    S.OFFER_LAPSED,
    S.SETTLED,
    S.REVIEW_REQUESTED,
    S.DENIED,
    S.CLOSED,
    S.WITHDRAWN,
)
#: (label, lowest age, highest age) in days; None: no upper bound.
AGE_BANDS = (
    ("0–30 days", 0, 30),
    ("31–90 days", 31, 90),
    ("91–180 days", 91, 180),
    ("181–365 days", 181, 365),
    ("Over 365 days", 366, None),
)
SETTLE_BANDS = (
    ("Up to 90 days", 0, 90),
    ("91–180 days", 91, 180),
    ("181–365 days", 181, 365),
    ("Over 365 days", 366, None),
)
DEFAULT_WEEKS = 12
#: The longest period one page shows: a year and a week, so the weekly charts stay readable.
MAX_PERIOD_DAYS = 371


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included, in the portal's time zone."""

    start: datetime.date
    end: datetime.date

    @classmethod
    def default(cls, today: datetime.date) -> "Period":
        """The last twelve weeks, today included."""
        return cls(today - datetime.timedelta(weeks=DEFAULT_WEEKS) + datetime.timedelta(1), today)

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """[first instant, first instant after) as aware datetimes."""
        return _midnight(self.start), _midnight(self.end + datetime.timedelta(days=1))

    def weeks(self) -> list[datetime.date]:
        """The Monday of each week the period touches."""
        monday = self.start - datetime.timedelta(days=self.start.weekday())
        weeks = []
        while monday <= self.end:
            weeks.append(monday)
            monday += datetime.timedelta(weeks=1)
        return weeks


@dataclass(frozen=True)
class Scope:
    """Whose figures, for when: an insurer, optionally one of its teams, a period, and today."""

    insurer: Insurer
    period: Period
    today: datetime.date
    team: Team | None = None


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]


@dataclass(frozen=True)
class Figure:
    """One chart and its table: a label per row, a series per column. `kind` names how charts.py
    draws it; `unit` how the values read ("count", "money", "percent"); `summary` is the one-line
    text alternative; `extra` holds columns only the table shows (already in words)."""

    key: str
    title: str
    kind: str
    unit: str
    labels: list[str]
    series: list[Series]
    summary: str
    extra: dict[str, list[str]] = field(default_factory=dict)
    note: str = ""

    def value(self, series: str, label: str) -> float:
        """One figure, for tests and readers: the `series` value on the row `label`."""
        column = next(s for s in self.series if s.name == series)
        return column.values[self.labels.index(label)]

    @property
    def rows(self) -> list["Row"]:
        """The table: a row per label, a cell per series then per extra column, in words."""
        words = _in_pounds if self.unit == "money" else _whole
        return [
            Row(
                label,
                [words(s.values[i]) for s in self.series]
                + [column[i] for column in self.extra.values()],
            )
            for i, label in enumerate(self.labels)
        ]


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[str]


def _in_pounds(value) -> str:
    return pounds(Decimal(str(value)))


def _whole(value) -> str:
    return f"{value:,.0f}"


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _claims(scope: Scope):
    claims = Claim.objects.filter(insurer=scope.insurer).exclude(status=S.DRAFT)
    if scope.team is not None:
        claims = claims.filter(team=scope.team)
    return claims.order_by()


def _received(scope: Scope):
    start, end = scope.period.bounds()
    return _claims(scope).filter(submitted_at__gte=start, submitted_at__lt=end)


def _of_scope(queryset, prefix: str, scope: Scope):
    """`queryset` of rows hanging from a claim (through `prefix`), kept to the scope's claims."""
    filters = {f"{prefix}insurer": scope.insurer}
    if scope.team is not None:
        filters[f"{prefix}team"] = scope.team
    return queryset.filter(**filters).order_by()


# --- On time ------------------------------------------------------------------------------------


def on_time(scope: Scope) -> Figure:
    """On-time rates for acknowledgement and decision, over the period's claims."""
    today = scope.today
    claims = _received(scope).annotate(
        acknowledged_on=_done_on((S.ASSIGNED,), (S.UNDER_REVIEW,)),
        decided_on=_done_on(DECISION_PENDING, RESPONSES),
    )
    counts = claims.aggregate(
        **_on_time_counts("ack", "acknowledged_on", "acknowledge_by", NOT_YET_ACKNOWLEDGED, today),
        **_on_time_counts("dec", "decided_on", "decide_by", NOT_YET_DECIDED, today),
    )
    labels = [_("Acknowledgement"), _("Decision")]
    on, late, due = ([counts[f"{k}_{what}"] for k in ("ack", "dec")] for what in _KINDS)
    rates = [_rate(o, lt) for o, lt in zip(on, late, strict=True)]
    return Figure(
        key="on_time",
        title=_("On time: acknowledgement and decision"),
        kind="stacked",
        unit="count",
        labels=labels,
        series=[Series(_("On time"), on), Series(_("Late"), late), Series(_("Not yet due"), due)],
        summary=_("Acknowledged on time: %(ack)s. Decided on time: %(dec)s.")
        % {"ack": _rate_words(rates[0]), "dec": _rate_words(rates[1])},
        extra={_("On-time rate"): [_rate_words(r) for r in rates]},
        note=_(
            "Claims received in the period. The rate is on time out of on time and late; "
            "claims not yet due are not counted in it."
        ),
    )


_KINDS = ("on", "late", "due")


def _done_on(from_in, to_in) -> Subquery:
    changes = (
        ClaimStatusChange.objects.filter(
            claim=OuterRef("pk"), from_status__in=from_in, to_status__in=to_in
        )
        .order_by("occurred_at", "id")
        .annotate(day=TruncDate("occurred_at", tzinfo=timezone.get_current_timezone()))
        .values("day")[:1]
    )
    return Subquery(changes)


def _on_time_counts(prefix, done, due, owed_in, today) -> dict:
    has_due = Q(**{f"{due}__isnull": False})
    not_done = Q(**{f"{done}__isnull": True})
    owed = not_done & Q(status__in=owed_in)
    return {
        f"{prefix}_on": Count("pk", filter=has_due & Q(**{f"{done}__lte": F(due)})),
        f"{prefix}_late": Count(
            "pk",
            filter=has_due & (Q(**{f"{done}__gt": F(due)}) | (owed & Q(**{f"{due}__lt": today}))),
        ),
        f"{prefix}_due": Count("pk", filter=has_due & owed & Q(**{f"{due}__gte": today})),
    }


def _rate(on: int, late: int) -> float | None:
    return None if on + late == 0 else round(100 * on / (on + late), 1)


def _rate_words(rate: float | None) -> str:
    return _("none due yet") if rate is None else f"{rate:g}%"


# --- Workload -----------------------------------------------------------------------------------


def workload(scope: Scope) -> Figure:
    """Open claims per adjuster against their capacity (the team's members when one is chosen)."""
    adjusters = User.objects.filter(role=Role.ADJUSTER, insurer=scope.insurer, is_active=True)
    if scope.team is not None:
        adjusters = adjusters.filter(teams=scope.team)
    open_claims = (
        Claim.objects.filter(assigned_adjuster=OuterRef("pk"), status__in=OPEN_FOR_ADJUSTER)
        .order_by()
        .values("assigned_adjuster")
        .annotate(n=Count("pk"))
        .values("n")
    )
    capacity = AdjusterProfile.objects.filter(user=OuterRef("pk")).values("capacity")[:1]
    rows = list(
        adjusters.annotate(open_count=Subquery(open_claims), capacity=Subquery(capacity))
        .order_by("full_name", "pk")
        .values_list("full_name", "email", "open_count", "capacity")
    )
    labels = [name or _("Unnamed adjuster") for name, _email, _n, _c in rows]
    load = [n or 0 for _name, _email, n, _c in rows]
    capacity_values = [c or 0 for *_rest, c in rows]
    over = sum(1 for n, c in zip(load, capacity_values, strict=True) if n > c)
    return Figure(
        key="workload",
        title=_("Workload per adjuster against capacity"),
        kind="hbar",
        unit="count",
        labels=labels,
        series=[Series(_("Open claims"), load), Series(_("Capacity"), capacity_values)],
        summary=ngettext(
            "%(n)d adjuster; %(over)d over capacity.",
            "%(n)d adjusters; %(over)d over capacity.",
            len(rows),
        )
        % {"n": len(rows), "over": over},
        note=_("Open claims now, whatever the period."),
    )


# --- Claims by status ---------------------------------------------------------------------------


def by_status(scope: Scope) -> Figure:
    counts = dict(_received(scope).values_list("status").annotate(n=Count("pk")))
    labels = [str(status.label) for status in FUNNEL_ORDER]
    values = [counts.get(status, 0) for status in FUNNEL_ORDER]
    return Figure(
        key="by_status",
        title=_("Claims by status"),
        kind="funnel",
        unit="count",
        labels=labels,
        series=[Series(_("Claims"), values)],
        summary=ngettext(
            "%(n)d claim received in the period, by its status now.",
            "%(n)d claims received in the period, by their status now.",
            sum(values),
        )
        % {"n": sum(values)},
    )


# --- Age of open claims -------------------------------------------------------------------------


def open_claims_age(scope: Scope) -> Figure:
    """Open claims by days since they were sent; day 0 is the day of sending."""
    today = scope.today
    counts = {}
    for n, (_label, lowest, highest) in enumerate(AGE_BANDS):
        # Age in days d means sent on today - d: on or before today - lowest, after
        # today - highest - 1.
        q = Q(submitted_at__lt=_midnight(today - datetime.timedelta(days=lowest - 1)))
        if highest is not None:
            q &= Q(submitted_at__gte=_midnight(today - datetime.timedelta(days=highest)))
        counts[f"band{n}"] = Count("pk", filter=q)
    result = _claims(scope).filter(status__in=OPEN_STATUSES).aggregate(**counts)
    labels = [label for label, *_bounds in AGE_BANDS]
    values = [result[f"band{n}"] for n in range(len(labels))]
    return Figure(
        key="age",
        title=_("Age of open claims"),
        kind="bar",
        unit="count",
        labels=labels,
        series=[Series(_("Open claims"), values)],
        summary=ngettext(
            "%(n)d open claim, %(old)d of them over 365 days old.",
            "%(n)d open claims, %(old)d of them over 365 days old.",
            sum(values),
        )
        % {"n": sum(values), "old": values[-1]},
        note=_("Open claims now, whatever the period; age from the day the claim was sent."),
    )


# --- Received per week --------------------------------------------------------------------------


def _week_labels(weeks: list[datetime.date]) -> list[str]:
    return [_("Week of %(day)s") % {"day": f"{monday:%-d %b %Y}"} for monday in weeks]


def _per_week(queryset, column: str, scope: Scope, **counts) -> dict[datetime.date, dict]:
    week = TruncWeek(column, tzinfo=timezone.get_current_timezone())
    rows = queryset.annotate(week=week).values("week").annotate(**counts).order_by()
    return {_as_date(row["week"]): row for row in rows}


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def received_per_week(scope: Scope) -> Figure:
    weeks = scope.period.weeks()
    rows = _per_week(_received(scope), "submitted_at", scope, n=Count("pk"))
    values = [rows.get(monday, {}).get("n", 0) for monday in weeks]
    return Figure(
        key="received",
        title=_("Claims received per week"),
        kind="bar",
        unit="count",
        labels=_week_labels(weeks),
        series=[Series(_("Claims received"), values)],
        summary=ngettext(
            "%(n)d claim received in %(weeks)d weeks.",
            "%(n)d claims received in %(weeks)d weeks.",
            sum(values),
        )
        % {"n": sum(values), "weeks": len(weeks)},
        note=_("The first and last weeks count only the days inside the period."),
    )


# --- Offers -------------------------------------------------------------------------------------


def offers(scope: Scope) -> Figure:
    start, end = scope.period.bounds()
    made = _of_scope(Offer.objects, "claim__", scope).filter(made_at__gte=start, made_at__lt=end)
    weeks = scope.period.weeks()
    rows = _per_week(
        made,
        "made_at",
        scope,
        made=Count("pk"),
        accepted=Count("pk", filter=Q(state=OfferState.ACCEPTED)),
    )
    made_values = [rows.get(monday, {}).get("made", 0) for monday in weeks]
    accepted_values = [rows.get(monday, {}).get("accepted", 0) for monday in weeks]
    return Figure(
        key="offers",
        title=_("Offers made and accepted"),
        kind="bar",
        unit="count",
        labels=_week_labels(weeks),
        series=[Series(_("Offers made"), made_values), Series(_("Accepted"), accepted_values)],
        summary=_("%(made)d offers made in the period, %(accepted)d of them accepted.")
        % {"made": sum(made_values), "accepted": sum(accepted_values)},
        note=_("Each round of an offer counts; accepted: the patient's side accepted that round."),
    )


# --- Time to settle -----------------------------------------------------------------------------


def time_to_settle(scope: Scope) -> Figure:
    start, end = scope.period.bounds()
    settled = _of_scope(Settlement.objects, "claim__", scope).filter(
        agreed_at__gte=start, agreed_at__lt=end
    )
    taken = ExpressionWrapper(F("agreed_at") - F("claim__submitted_at"), DurationField())
    counts = {}
    for n, (_label, lowest, highest) in enumerate(SETTLE_BANDS):
        q = Q(agreed_at__gte=F("claim__submitted_at") + datetime.timedelta(days=lowest))
        if highest is not None:
            q &= Q(agreed_at__lt=F("claim__submitted_at") + datetime.timedelta(days=highest + 1))
        counts[f"band{n}"] = Count("pk", filter=q)
    result = settled.aggregate(average=Avg(taken), **counts)
    labels = [label for label, *_bounds in SETTLE_BANDS]
    values = [result[f"band{n}"] for n in range(len(labels))]
    average = result["average"]
    average_days = None if average is None else round(average.total_seconds() / 86400)
    return Figure(
        key="settle",
        title=_("Time to settle"),
        kind="bar",
        unit="count",
        labels=labels,
        series=[Series(_("Settlements"), values)],
        summary=(
            _("No settlement agreed in the period.")
            if average_days is None
            else ngettext(
                "%(n)d settlement agreed in the period, on average %(days)d days after the "
                "claim was sent.",
                "%(n)d settlements agreed in the period, on average %(days)d days after the "
                "claim was sent.",
                sum(values),
            )
            % {"n": sum(values), "days": average_days}
        ),
        note=_("Days from the claim being sent to the settlement being agreed."),
    )


# --- Reserves and payments ----------------------------------------------------------------------


def reserves_and_payments(scope: Scope) -> Figure:
    latest = Reserve.objects.filter(claim=OuterRef("pk")).order_by("-set_at", "-id")
    reserves = (
        _claims(scope)
        .filter(status__in=OPEN_STATUSES)
        .annotate(current=Subquery(latest.values("amount")[:1]))
        .aggregate(total=Sum("current"), claims=Count("pk", filter=Q(current__isnull=False)))
    )
    payments = (
        _of_scope(Payment.objects, "settlement__claim__", scope)
        .filter(paid_on__gte=scope.period.start, paid_on__lte=scope.period.end)
        .aggregate(total=Sum("amount"), claims=Count("settlement__claim", distinct=True))
    )
    totals = [reserves["total"] or Decimal(0), payments["total"] or Decimal(0)]
    claims = [reserves["claims"], payments["claims"]]
    return Figure(
        key="money",
        title=_("Reserves and payments"),
        kind="bar",
        unit="money",
        labels=[_("Reserves held on open claims"), _("Paid in the period")],
        series=[Series(_("Amount (£)"), [float(t) for t in totals])],
        summary=_("Reserves held: %(reserves)s. Paid in the period: %(paid)s.")
        % {"reserves": pounds(totals[0]), "paid": pounds(totals[1])},
        extra={_("Claims"): [str(n) for n in claims]},
        note=_("Reserves: each open claim's latest reserve, now. Payments: dated in the period."),
    )


#: The dashboard's figures in page order; each key is also its chart's URL name.
FIGURES: dict[str, Callable[[Scope], Figure]] = {
    "on_time": on_time,
    "workload": workload,
    "by_status": by_status,
    "age": open_claims_age,
    "received": received_per_week,
    "offers": offers,
    "settle": time_to_settle,
    "money": reserves_and_payments,
}


def dashboard_figures(*, scope: Scope) -> list[Figure]:
    """Every figure of the dashboard for `scope`: a fixed number of queries."""
    return [figure(scope) for figure in FIGURES.values()]


def dashboard_figure(*, scope: Scope, key: str) -> Figure:
    """One figure by its key (KeyError for an unknown one)."""
    return FIGURES[key](scope)
