"""What the dashboard and the learning pages are for: an insurer (administrators choose), a team,
and a period (GET ?from=&to=, the last twelve weeks unless chosen)."""

import datetime
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oversight.dashboard import MAX_PERIOD_DAYS, Period
from oversight.dashboard_access import insurers_visible_to, oversight_chooses_insurer
from portal.date_input import DateInputField
from portal.models import Insurer, User
from triage.models import Team


class InsurerChoiceField(forms.ModelChoiceField):
    """A choice of insurer whose error for a value that is no id at all is the same as for an
    id not in the list: the person picked neither."""

    def to_python(self, value):
        if value not in self.empty_values:
            try:
                uuid.UUID(str(value))
            except ValueError:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice"
                ) from None
        return super().to_python(value)


class PeriodForm(forms.Form):
    """An insurer (for administrators), a team of it, and the period. Unbound values fall back
    to the defaults, so the bare URL shows the last twelve weeks of the whole insurer."""

    def __init__(
        self,
        data,
        *,
        user: User,
        today: datetime.date,
        with_team: bool = True,
        default: Period | None = None,
    ):
        self.user, self.today = user, today
        self.default = default = default or Period.default(today)
        data = data.copy()
        data.setdefault("from", default.start.isoformat())
        data.setdefault("to", default.end.isoformat())
        super().__init__(data)
        if oversight_chooses_insurer(user):
            self.fields["insurer"] = InsurerChoiceField(
                queryset=insurers_visible_to(user).order_by("name"),
                label=gettext_lazy("Insurer"),
                empty_label=None,
                error_messages={"invalid_choice": gettext_lazy("Choose an insurer from the list.")},
            )
            if not data.get("insurer"):
                first = self.fields["insurer"].queryset.first()
                data["insurer"] = str(first.pk) if first else ""
                self.data = data
        if with_team:
            self.fields["team"] = forms.ModelChoiceField(
                queryset=Team.objects.filter(insurer=self._chosen_insurer()).order_by("name"),
                label=gettext_lazy("Team"),
                required=False,
                empty_label=gettext_lazy("All teams"),
                error_messages={"invalid_choice": gettext_lazy("Choose a team from the list.")},
            )
        # Three boxes on the page; the one value ?from=2026-01-31 from links and defaults too.
        self.fields["from"] = DateInputField(
            label=gettext_lazy("From"), subject=gettext_lazy("The first day"), accept_single=True
        )
        self.fields["to"] = DateInputField(
            label=gettext_lazy("To"), subject=gettext_lazy("The last day"), accept_single=True
        )

    def _chosen_insurer(self) -> Insurer | None:
        """The insurer the team list is drawn from, before the form is cleaned."""
        if not oversight_chooses_insurer(self.user):
            return insurers_visible_to(self.user).first()
        try:
            chosen = uuid.UUID(str(self.data.get("insurer")))
        except ValueError:  # a forged id: the field reports it
            return None
        return insurers_visible_to(self.user).filter(pk=chosen).first()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end:
            if end < start:
                self.add_error("to", _("The last day must be on or after the first day."))
            elif (end - start).days + 1 > MAX_PERIOD_DAYS:
                self.add_error(
                    "to",
                    _("Choose a period of at most %(days)d days (a year and a week).")
                    % {"days": MAX_PERIOD_DAYS},
                )
            elif end > self.today:
                self.add_error("to", _("The last day cannot be after today."))
        return cleaned

    def choice(self) -> tuple[Insurer | None, Team | None, Period]:
        """The chosen insurer, team and period; the defaults for any value in error."""
        valid = self.is_valid()
        insurer = self._chosen_insurer()
        team = self.cleaned_data.get("team") if valid else None
        period = Period(self.cleaned_data["from"], self.cleaned_data["to"]) if valid else None
        return insurer, team, period or self.default
