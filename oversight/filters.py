"""The insurer's claims list filters, as a django-filter FilterSet read from the query string, so
a filtered list is a URL a person can bookmark or share with a colleague.

The choices of team, adjuster and provider are the person's own insurer's (for an adjuster,
their teams'); a value outside them can only be forged, and is answered 404 and audited
(`ClaimListFilter.refuse_forged`), never an empty list that would say the value means nothing.
"""

import datetime

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.models import (
    OPEN_FOR_ADJUSTER,
    Claim,
    ClaimStatus,
    ClaimStatusChange,
    HarmCategory,
    Priority,
    Severity,
)
from portal.access import refuse
from portal.date_input import DateInputField
from portal.models import Provider, Role, User
from triage.models import Team
from triage.selectors import past_a_due_date, past_acknowledge_by, past_decide_by

#: Moves that decide a claim: the "decided" date is the time of such a move.
DECISION_STATUSES = (ClaimStatus.SETTLED, ClaimStatus.DENIED)
OPEN = "open"
STATUS_CHOICES = [
    (OPEN, _("Any open claim (with an adjuster)")),
    *[(value, label) for value, label in ClaimStatus.choices if value != ClaimStatus.DRAFT],
]
OVERDUE = {
    "any": past_a_due_date,
    "acknowledge": past_acknowledge_by,
    "decide": past_decide_by,
}
OVERDUE_CHOICES = [
    ("any", _("Past either date")),
    ("acknowledge", _("Not acknowledged in time")),
    ("decide", _("Not decided in time")),
]
#: The filters whose values name an object of the insurer's: forged values are refused.
SCOPED_FILTERS = {
    "team": "triage.team",
    "adjuster": "portal.user",
    "provider": "portal.provider",
}


class NamedChoiceField(forms.ModelChoiceField):
    """People by name, never by email address."""

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() if isinstance(obj, User) else str(obj.name)


class NamedChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = NamedChoiceField


class DateInputFilter(django_filters.Filter):
    """A date typed as day, month and year (`received_from_day=1&received_from_month=3&...`),
    or given as one value (`received_from=2026-03-01`) by a link another page builds or an old
    bookmark: the parts stay readable in the URL, and the filter gets one date either way."""

    field_class = DateInputField


def _date_filter(label, method: str) -> DateInputFilter:
    return DateInputFilter(label=label, subject=label, method=method, accept_single=True)


def _day_start(day: datetime.date) -> datetime.datetime:
    """Midnight starting `day` in the portal's time zone: a range on the column itself, which an
    index serves, rather than on its date."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class ClaimListForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        for start, end, what in (
            ("received_from", "received_to", _("received")),
            ("decided_from", "decided_to", _("decided")),
        ):
            if cleaned.get(start) and cleaned.get(end) and cleaned[start] > cleaned[end]:
                self.add_error(
                    end,
                    _("The last date %(what)s must be on or after the first.") % {"what": what},
                )
        return cleaned


class ClaimListFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Reference or claimant's name"),
        method="filter_search",
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=STATUS_CHOICES, method="filter_status", empty_label=_("Any")
    )
    team = NamedChoiceFilter(label=_("Team"), queryset=Team.objects.none(), empty_label=_("Any"))
    adjuster = NamedChoiceFilter(
        label=_("Adjuster"),
        field_name="assigned_adjuster",
        queryset=User.objects.none(),
        empty_label=_("Anyone"),
    )
    priority = django_filters.ChoiceFilter(
        label=_("Priority"), choices=Priority.choices, empty_label=_("Any")
    )
    overdue = django_filters.ChoiceFilter(
        label=_("Overdue"), choices=OVERDUE_CHOICES, method="filter_overdue", empty_label=_("-")
    )
    harm_category = django_filters.ChoiceFilter(
        label=_("Kind of harm"), choices=HarmCategory.choices, empty_label=_("Any")
    )
    severity = django_filters.ChoiceFilter(
        label=_("Severity"), choices=Severity.choices, empty_label=_("Any")
    )
    provider = NamedChoiceFilter(
        label=_("Provider"), queryset=Provider.objects.none(), empty_label=_("Any")
    )
    received_from = _date_filter(_("Received from"), "filter_received_from")
    received_to = _date_filter(_("Received up to"), "filter_received_to")
    decided_from = _date_filter(_("Decided from"), "filter_decided_from")
    decided_to = _date_filter(_("Decided up to"), "filter_decided_to")

    class Meta:
        model = Claim
        fields: list[str] = []
        form = ClaimListForm

    def __init__(self, data=None, queryset=None, *, user: User, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.user = user
        for name, choices in filter_choices(user).items():
            self.filters[name].queryset = choices

    def refuse_forged(self) -> None:
        """404 (audited) when a team, adjuster or provider named in the URL is not one the
        person could choose: another insurer's, or none at all."""
        for name, object_type in SCOPED_FILTERS.items():
            if self.form[name].errors and self.data.get(name):
                refuse(
                    user=self.user,
                    object_type=object_type,
                    object_id=str(self.data.get(name))[:64],
                    reason="claims list filter outside the insurer",
                )

    def filter_search(self, queryset: QuerySet[Claim], name: str, value: str):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__istartswith=value) | Q(claimant__full_name__icontains=value)
        )

    def filter_status(self, queryset: QuerySet[Claim], name: str, value: str):
        if value == OPEN:
            return queryset.filter(status__in=OPEN_FOR_ADJUSTER)
        return queryset.filter(status=value)

    def filter_overdue(self, queryset: QuerySet[Claim], name: str, value: str):
        return queryset.filter(OVERDUE[value](timezone.localdate()))

    def filter_received_from(self, queryset, name, value: datetime.date):
        return queryset.filter(submitted_at__gte=_day_start(value))

    def filter_received_to(self, queryset, name, value: datetime.date):
        return queryset.filter(submitted_at__lt=_day_start(value + datetime.timedelta(days=1)))

    def filter_decided_from(self, queryset, name, value: datetime.date):
        return queryset.filter(_decided(occurred_at__gte=_day_start(value)))

    def filter_decided_to(self, queryset, name, value: datetime.date):
        end = _day_start(value + datetime.timedelta(days=1))
        return queryset.filter(_decided(occurred_at__lt=end))

    def applied(self) -> dict[str, str]:
        """The filters in force, for the audit log: ids, codes and dates, and whether a search
        was typed (never what was typed: it may be a name)."""
        if not self.is_bound:
            return {}
        applied = {
            name: str(value)
            for name, value in self.form.cleaned_data.items()
            if value not in (None, "") and name != "q"
        }
        for name in SCOPED_FILTERS:
            if name in applied:
                applied[name] = str(self.form.cleaned_data[name].pk)
        if self.form.cleaned_data.get("q"):
            applied["search"] = "yes"
        return applied


def _decided(**when) -> Exists:
    """The claim moved into a decision within the bounds `when` (occurred_at lookups)."""
    return Exists(
        ClaimStatusChange.objects.filter(
            claim=OuterRef("pk"), to_status__in=DECISION_STATUSES, **when
        )
    )


def filter_choices(user: User) -> dict[str, QuerySet]:
    """The teams, adjusters and providers `user` may filter by: their insurer's for a triage
    lead; an adjuster's own teams, those teams' members, and the insurer's providers."""
    insurer_id = user.insurer_id
    teams = Team.objects.filter(insurer_id=insurer_id).order_by("name")
    adjusters = User.objects.filter(role=Role.ADJUSTER, insurer_id=insurer_id)
    if user.role != Role.TRIAGE_LEAD:
        teams = teams.filter(members=user)
        adjusters = adjusters.filter(teams__in=teams).distinct()
    providers = Provider.objects.filter(coverages__insurer_id=insurer_id).distinct()
    return {
        "team": teams,
        "adjuster": adjusters.order_by("full_name", "pk"),
        "provider": providers.order_by("name"),
    }
