"""The date input pattern, after the GOV.UK Design System: a date typed as day, month and year in
three boxes, and an error that says which part is missing or why the date cannot be.

People type dates they know by heart (their birthday) faster as three numbers than through a
calendar, and a browser's own date box reads mm/dd/yyyy to some of them. `DateInputField` takes
the three parts (posted as `<name>_day`, `<name>_month`, `<name>_year`) and gives a
`datetime.date`; `templates/includes/date_input.html` draws the fieldset, and
`includes/field.html` picks it whenever a field's widget is a `DateInputWidget`.

A filter read from a URL (`accept_single=True`) also takes the one value `<name>=2026-03-01`, so
the links other pages build and old bookmarks keep working.
"""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

PARTS = ("day", "month", "year")
PART_LABELS = {
    "day": pgettext_lazy("date input", "Day"),
    "month": pgettext_lazy("date input", "Month"),
    "year": pgettext_lazy("date input", "Year"),
}
#: Months by name as well as number: "March" and "mar" are as clear as 3.
MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
#: What an incomplete date lacks, said the way a person would.
MISSING = {
    ("day",): _("%(subject)s must include a day."),
    ("month",): _("%(subject)s must include a month."),
    ("year",): _("%(subject)s must include a year."),
    ("day", "month"): _("%(subject)s must include a day and month."),
    ("day", "year"): _("%(subject)s must include a day and year."),
    ("month", "year"): _("%(subject)s must include a month and year."),
}
#: The checks a field may make against today, and how each is said.
WHEN = {
    "past": (lambda day, today: day < today, _("%(subject)s must be in the past.")),
    "today_or_past": (
        lambda day, today: day <= today,
        _("%(subject)s must be today or in the past."),
    ),
    "future": (lambda day, today: day > today, _("%(subject)s must be in the future.")),
    "today_or_future": (
        lambda day, today: day >= today,
        _("%(subject)s must be today or in the future."),
    ),
}
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_DMY = re.compile(r"^\s*(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})\s*$")


def parts_of(value) -> list[str]:
    """A date, or one typed value (2026-03-01 or 1/3/2026), as [day, month, year] strings; a
    value that is neither becomes a day alone, which the field then calls not a real date."""
    if isinstance(value, datetime.date):
        return [str(value.day), str(value.month), str(value.year)]
    if value in (None, ""):
        return ["", "", ""]
    text = str(value)
    if match := _ISO.match(text):
        year, month, day = match.groups()
        return [day, month, year]
    if match := _DMY.match(text):
        return list(match.groups())
    return [text, "", ""]


def parts_of_list(value) -> list:
    """The three parts of what the widget gave: a list already, or one value to split."""
    if isinstance(value, list | tuple) and len(value) == len(PARTS):
        return list(value)
    return parts_of(value)


class DateInputWidget(forms.MultiWidget):
    """Three text boxes for the numbers of a date. The page draws them through
    `includes/date_input.html`, with a label for each; `autocomplete` (such as "bday") gives
    browsers the hint for each part ("bday-day", ...)."""

    def __init__(self, attrs=None, *, accept_single: bool = False, autocomplete: str = ""):
        self.accept_single = accept_single
        self.autocomplete = autocomplete
        widgets = {
            part: forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"})
            for part in PARTS
        }
        super().__init__(widgets, attrs)

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.accept_single, copy.autocomplete = self.accept_single, self.autocomplete
        return copy

    def decompress(self, value) -> list[str]:
        return parts_of(value)

    def value_from_datadict(self, data, files, name) -> list[str] | str:
        if self.accept_single and self._parts_omitted(data, name) and data.get(name):
            return data.get(name)  # one value: the field splits it, or says it is no date
        return super().value_from_datadict(data, files, name)

    def value_omitted_from_data(self, data, files, name) -> bool:
        omitted = self._parts_omitted(data, name)
        return omitted and not (self.accept_single and name in data)

    def _parts_omitted(self, data, name) -> bool:
        return all(f"{name}_{part}" not in data for part in PARTS)


class DateInputField(forms.Field):
    """A date typed in three parts. `subject` names the date in messages ("Date of birth must
    include a month."); `when` ("past", "today_or_past", "future", "today_or_future") checks it
    against today; `earliest` refuses dates before it; `ahead` makes the hint's example a date
    to come (it is, for the "future" checks) where the form checks a range itself. Each message
    is a sentence a person can act on; a `ValidationError`'s `params["parts"]` names the parts
    to mark in error."""

    widget = DateInputWidget
    default_error_messages = {
        "required": _("%(subject)s must include a day, month and year."),
        "invalid": _("%(subject)s must be a real date."),
        "year": _("%(subject)s must have a year of 4 numbers, like 2007."),
        "earliest": _("%(subject)s must be on or after %(date)s."),
    }

    def __init__(
        self,
        *,
        subject=None,
        when: str | None = None,
        earliest: datetime.date | None = None,
        accept_single: bool = False,
        autocomplete: str = "",
        ahead: bool | None = None,
        **kwargs,
    ):
        if when is not None and when not in WHEN:
            raise ValueError(f"when must be one of {sorted(WHEN)}, not {when!r}")
        kwargs.setdefault(
            "widget", DateInputWidget(accept_single=accept_single, autocomplete=autocomplete)
        )
        super().__init__(**kwargs)
        self.subject, self.when, self.earliest = subject, when, earliest
        self.ahead = when in ("future", "today_or_future") if ahead is None else ahead

    @property
    def subject_text(self) -> str:
        return str(self.subject or self.label or _("The date"))

    @property
    def example(self) -> str:
        """The hint's example: a date on the side of today the field asks for."""
        if self.ahead:
            soon = timezone.localdate() + datetime.timedelta(days=30)
            return f"{soon.day} {soon.month} {soon.year}"
        return "27 3 2007"

    def _error(self, code: str, parts=PARTS, **params) -> ValidationError:
        message = self.error_messages[code]
        return ValidationError(
            message, code=code, params={"subject": self.subject_text, "parts": parts, **params}
        )

    def to_python(self, value) -> datetime.date | None:
        if isinstance(value, datetime.date):
            return value
        if (
            isinstance(value, str)
            and value.strip()
            and not _ISO.match(value)
            and not _DMY.match(value)
        ):
            raise self._error("invalid")
        parts = dict(zip(PARTS, [str(v or "").strip() for v in parts_of_list(value)], strict=True))
        missing = tuple(part for part in PARTS if not parts[part])
        if len(missing) == len(PARTS):
            return None
        if missing in MISSING:
            raise ValidationError(
                MISSING[missing],
                code="incomplete",
                params={"subject": self.subject_text, "parts": missing},
            )
        return self._date(parts)

    def _date(self, parts: dict[str, str]) -> datetime.date:
        day, year = parts["day"], parts["year"]
        month = MONTH_NAMES.get(parts["month"].lower(), parts["month"])
        numbers = [day, str(month), year]
        wrong = tuple(p for p, n in zip(PARTS, numbers, strict=True) if not n.isdecimal())
        if wrong:
            raise self._error("invalid", parts=wrong)
        if len(year) != 4:
            raise self._error("year", parts=("year",))
        try:
            return datetime.date(int(year), int(month), int(day))
        except ValueError:
            raise self._error("invalid") from None

    def validate(self, value) -> None:
        if value in self.empty_values and self.required:
            raise self._error("required")

    def run_validators(self, value) -> None:
        super().run_validators(value)
        if value is None:
            return
        if self.earliest and value < self.earliest:
            date = formats.date_format(self.earliest, "j F Y")
            raise self._error("earliest", date=date)
        if self.when:
            holds, message = WHEN[self.when]
            if not holds(value, timezone.localdate()):
                raise ValidationError(
                    message, code=self.when, params={"subject": self.subject_text, "parts": PARTS}
                )

    def has_changed(self, initial, data) -> bool:
        try:
            return self.to_python(data) != (self.to_python(initial) if initial else None)
        except ValidationError:
            return True


def error_parts(bound_field) -> tuple[str, ...]:
    """The parts of a bound date field to mark in error: those its errors name, or all."""
    parts: set[str] = set()
    for error in bound_field.errors.as_data():
        named = (getattr(error, "params", None) or {}).get("parts")
        parts.update(named or PARTS)
    return tuple(part for part in PARTS if part in parts)
