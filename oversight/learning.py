"""Learning from claims: counts, settlements and time to settle by provider, harm category,
severity and month, with small numbers suppressed so the tables are safe to share.

A table here is a list of rows (a provider, a category...) with four cells each: claims received,
claims settled, the amount they settled for, and the average days from sending to agreement;
and a total row. Nothing in it names a patient or quotes what they wrote: only the provider's
name, the category and severity labels, months and numbers.

The suppression rule (SMALL = 5), applied to every table the page, the PDF and the CSV show:

1. Primary: a count below 5 (0 to 4) reads "fewer than 5". An amount or an average over fewer
   than 5 settled claims is suppressed with that count.
2. A row whose claims count is suppressed has its settled count suppressed too (it is no larger).
3. Secondary, against subtraction: in a column that adds up to a total shown, a suppressed cell
   never stands alone. When exactly one cell of the column is suppressed, the smallest cell
   still shown in that column is suppressed as well (the first in the table's order on a tie);
   when there is no other cell, the total is suppressed. Two or more suppressed cells leave only
   their sum to be learnt, never one of them. A cell hidden this way reads "not shown", not
   "fewer than 5", which could be untrue of it.
4. The amounts and the averages follow the settled column: suppressed wherever its count is,
   the totals included, since they too add up (or average) across the rows; they read
   "not shown".

A zero is a count below 5 and is suppressed too: that no claim of a kind was made is itself
something to keep from a small table.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.models import Claim, ClaimStatus, HarmCategory, Severity
from oversight.dashboard import Period
from portal.models import Insurer, Provider
from resolution.money import pounds

SMALL = 5
SUPPRESSED = gettext_lazy("fewer than 5")
#: A figure hidden so that a small one cannot be worked out by subtraction (it may be 5 or more,
#: so "fewer than 5" would be untrue), and an amount or average over a hidden count.
WITHHELD = gettext_lazy("not shown")
#: How many of a provider's most frequent categories the page and the report name.
TOP_CATEGORIES = 3
#: Short labels for the tables: the patient's question words are too long for a column.
SEVERITY_LABELS = {
    Severity.MINOR: gettext_lazy("Minor"),
    Severity.MODERATE: gettext_lazy("Moderate"),
    Severity.SEVERE: gettext_lazy("Severe or permanent"),
    Severity.DEATH: gettext_lazy("Death"),
}


@dataclass(frozen=True)
class Cell:
    """A number, or the words that stand for it when it is too small to show."""

    value: int | Decimal | None
    suppressed: bool = False
    kind: str = "count"  # "count", "money" or "days"

    def __str__(self) -> str:
        if self.suppressed:
            small = self.kind == "count" and self.value is not None and self.value < SMALL
            return str(SUPPRESSED if small else WITHHELD)
        if self.value is None:
            return "–"
        if self.kind == "money":
            return pounds(Decimal(self.value))
        return f"{self.value:,}"


@dataclass(frozen=True)
class LearningRow:
    label: str
    claims: Cell
    settled: Cell
    amount: Cell
    days: Cell

    @property
    def cells(self) -> list[Cell]:
        return [self.claims, self.settled, self.amount, self.days]


@dataclass(frozen=True)
class LearningTable:
    key: str
    title: str
    heading: str  # the first column's heading
    rows: list[LearningRow]
    total: LearningRow


@dataclass(frozen=True)
class Counts:
    """One row's raw figures before suppression."""

    label: str
    claims: int
    settled: int
    amount: Decimal | None
    days: int | None


COLUMNS = (
    gettext_lazy("Claims received"),
    gettext_lazy("Claims settled"),
    gettext_lazy("Amount settled"),
    gettext_lazy("Average days to settle"),
)


# --- Suppression --------------------------------------------------------------------------------


def suppress_column(values: list[int], total: int, *, forced: list[bool] | None = None):
    """(which cells are suppressed, whether the total is) for one additive column: rules 1 and 3
    of the module's rule; `forced` marks cells suppressed for another reason (rule 2)."""
    hidden = [v < SMALL or bool(forced and forced[i]) for i, v in enumerate(values)]
    total_hidden = total < SMALL
    if not total_hidden and sum(hidden) == 1:
        shown = [(v, i) for i, v in enumerate(values) if not hidden[i]]
        if shown:
            hidden[min(shown)[1]] = True
        else:
            total_hidden = True
    return hidden, total_hidden


def suppressed_table(
    key: str, title: str, heading: str, counts: list[Counts], total: Counts | None = None
) -> LearningTable:
    """The table of `counts` with the suppression rule applied, and its total row (`total`, the
    figures of every claim the rows add up to, or their sum)."""
    claims = [c.claims for c in counts]
    settled = [c.settled for c in counts]
    total_claims, total_settled = sum(claims), sum(settled)
    claims_hidden, total_claims_hidden = suppress_column(claims, total_claims)
    settled_hidden, total_settled_hidden = suppress_column(
        settled, total_settled, forced=claims_hidden
    )
    if total_claims_hidden:
        total_settled_hidden = True
    total = total or _total(counts)
    rows = [
        _row(c, claims_hidden=ch, settled_hidden=sh)
        for c, ch, sh in zip(counts, claims_hidden, settled_hidden, strict=True)
    ]
    total_row = _row(total, claims_hidden=total_claims_hidden, settled_hidden=total_settled_hidden)
    return LearningTable(key=key, title=title, heading=heading, rows=rows, total=total_row)


def _row(counts: Counts, *, claims_hidden: bool, settled_hidden: bool) -> LearningRow:
    return LearningRow(
        label=counts.label,
        claims=Cell(counts.claims, claims_hidden),
        settled=Cell(counts.settled, settled_hidden),
        amount=Cell(counts.amount, settled_hidden, "money"),
        days=Cell(counts.days, settled_hidden, "days"),
    )


def _total(counts: list[Counts]) -> Counts:
    settled = sum(c.settled for c in counts)
    amount = sum((c.amount or Decimal(0) for c in counts), Decimal(0))
    day_sum = sum((c.days or 0) * c.settled for c in counts)
    return Counts(
        label=str(_("All claims")),
        claims=sum(c.claims for c in counts),
        settled=settled,
        amount=amount if settled else None,
        days=round(day_sum / settled) if settled else None,
    )


# --- Figures ------------------------------------------------------------------------------------


def _claims(insurer: Insurer, period: Period, provider: Provider | None = None):
    start, end = period.bounds()
    claims = Claim.objects.filter(
        insurer=insurer, submitted_at__gte=start, submitted_at__lt=end
    ).exclude(status=ClaimStatus.DRAFT)
    if provider is not None:
        claims = claims.filter(provider=provider)
    return claims.order_by()


_SETTLED = Q(settlement__isnull=False)
_TAKEN = ExpressionWrapper(F("settlement__agreed_at") - F("submitted_at"), DurationField())


def _grouped(claims, *fields) -> list[dict]:
    """One row per value of `fields`: claims, settled, amount and average time to settle."""
    return list(
        claims.values(*fields).annotate(
            claims=Count("pk"),
            settled=Count("pk", filter=_SETTLED),
            amount=Sum("settlement__amount"),
            taken=Avg(_TAKEN, filter=_SETTLED),
        )
    )


def _total_of(claims) -> Counts:
    """The total row's figures, straight from the claims (an exact average, not one of rows)."""
    row = claims.aggregate(
        claims=Count("pk"),
        settled=Count("pk", filter=_SETTLED),
        amount=Sum("settlement__amount"),
        taken=Avg(_TAKEN, filter=_SETTLED),
    )
    return _counts(str(_("All claims")), row)


def _labelled(rows: list[dict], field: str, labels: list[tuple]) -> list[Counts]:
    """A row per label, in order, then one for any value the labels do not name (a category
    left blank, a provider no longer covered), so the rows always add up to the total."""
    by_value = {r[field]: r for r in rows}
    counts = [_counts(str(label), by_value.pop(value, None)) for value, label in labels]
    if by_value:
        left = list(by_value.values())
        settled = sum(r["settled"] for r in left)
        taken = [r["taken"] * r["settled"] for r in left if r["taken"] is not None]
        counts.append(
            _counts(
                str(_("Other or not given")),
                {
                    "claims": sum(r["claims"] for r in left),
                    "settled": settled,
                    "amount": sum((r["amount"] or Decimal(0) for r in left), Decimal(0)),
                    "taken": sum(taken, datetime.timedelta()) / settled if settled else None,
                },
            )
        )
    return counts


def _counts(label: str, row: dict | None) -> Counts:
    row = row or {}
    taken = row.get("taken")
    return Counts(
        label=label,
        claims=row.get("claims", 0),
        settled=row.get("settled", 0),
        amount=row.get("amount"),
        days=None if taken is None else round(taken.total_seconds() / 86400),
    )


def _months(period: Period) -> list[datetime.date]:
    month = period.start.replace(day=1)
    months = []
    while month <= period.end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def _as_month(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def by_category(claims, total: Counts) -> LearningTable:
    counts = _labelled(_grouped(claims, "harm_category"), "harm_category", HarmCategory.choices)
    return suppressed_table("category", _("By harm category"), _("Harm category"), counts, total)


def by_severity(claims, total: Counts) -> LearningTable:
    counts = _labelled(_grouped(claims, "severity"), "severity", list(SEVERITY_LABELS.items()))
    return suppressed_table("severity", _("By severity"), _("Severity"), counts, total)


def by_month(claims, period: Period, total: Counts) -> LearningTable:
    month = TruncMonth("submitted_at", tzinfo=timezone.get_current_timezone())
    rows = [
        {**r, "month": _as_month(r["month"])}
        for r in _grouped(claims.annotate(month=month), "month")
    ]
    counts = _labelled(rows, "month", [(m, f"{m:%B %Y}") for m in _months(period)])
    return suppressed_table("month", _("By month received"), _("Month"), counts, total)


def by_provider(claims, providers: list[Provider], total: Counts) -> LearningTable:
    labels = [(p.pk, p.name) for p in providers]
    counts = _labelled(_grouped(claims, "provider"), "provider", labels)
    return suppressed_table("provider", _("By provider"), _("Provider"), counts, total)


def top_categories(claims) -> dict[int, list[tuple[str, int]]]:
    """Each provider's most frequent categories with at least SMALL claims, most first."""
    rows = (
        claims.values("provider", "harm_category")
        .annotate(n=Count("pk"))
        .filter(n__gte=SMALL)
        .order_by("provider", "-n", "harm_category")
    )
    labels = dict(HarmCategory.choices)
    top: dict[int, list[tuple[str, int]]] = {}
    for row in rows:
        kept = top.setdefault(row["provider"], [])
        if len(kept) < TOP_CATEGORIES:
            kept.append((str(labels.get(row["harm_category"], row["harm_category"])), row["n"]))
    return top


def providers_of(insurer: Insurer) -> list[Provider]:
    """The providers the insurer covers (now or before), by name."""
    return list(Provider.objects.filter(coverages__insurer=insurer).distinct().order_by("name"))


def _tables(claims, period: Period, total: Counts) -> list[LearningTable]:
    return [by_category(claims, total), by_severity(claims, total), by_month(claims, period, total)]


@dataclass(frozen=True)
class InsurerLearning:
    insurer: Insurer
    period: Period
    providers: LearningTable
    tables: list[LearningTable]
    top: list[tuple[Provider, list[tuple[str, int]]]]


def insurer_learning(*, insurer: Insurer, period: Period) -> InsurerLearning:
    """The insurer's trends over the period, every table suppressed: a fixed few queries."""
    claims = _claims(insurer, period)
    providers = providers_of(insurer)
    top = top_categories(claims)
    total = _total_of(claims)
    return InsurerLearning(
        insurer=insurer,
        period=period,
        providers=by_provider(claims, providers, total),
        tables=_tables(claims, period, total),
        top=[(p, top.get(p.pk, [])) for p in providers],
    )


@dataclass(frozen=True)
class ProviderReport:
    """What a provider's risk manager is sent: the provider's claims with this insurer."""

    insurer: Insurer
    provider: Provider
    period: Period
    made_on: datetime.date
    tables: list[LearningTable]
    top: list[tuple[str, int]]

    @property
    def title(self) -> str:
        return _("Learning from claims: %(provider)s") % {"provider": self.provider.name}

    @property
    def file_stem(self) -> str:
        """The file's name: the report's kind and dates, never anything about a claim."""
        return f"Learning report {self.period.start:%Y-%m-%d} to {self.period.end:%Y-%m-%d}"


def provider_report(*, insurer: Insurer, provider: Provider, period: Period) -> ProviderReport:
    """The provider's learning report, every table suppressed: a fixed few queries."""
    claims = _claims(insurer, period, provider)
    return ProviderReport(
        insurer=insurer,
        provider=provider,
        period=period,
        made_on=timezone.localdate(),
        tables=_tables(claims, period, _total_of(claims)),
        top=top_categories(claims).get(provider.pk, []),
    )
