"""Template helpers of the form patterns (templates/includes/field.html and date_input.html):
the date input's parts, where an error summary's link lands, input widths by expected length,
and the character count of a long answer."""

from django import forms, template
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from portal.date_input import PART_LABELS, PARTS, DateInputWidget, error_parts, parts_of_list
from portal.templatetags.portal_forms import describedby_ids

register = template.Library()

#: Widths of a text box by the characters expected in it (max_length), narrowest first.
WIDTHS = (2, 3, 4, 5, 10, 20, 30)
#: Part widths: a day and a month take 2 characters, a year 4.
PART_WIDTHS = {"day": 2, "month": 2, "year": 4}
_TEXT_WIDGETS = (forms.TextInput, forms.NumberInput, forms.PasswordInput)


def _is_date_input(field) -> bool:
    return isinstance(field.field.widget, DateInputWidget)


@register.filter
def is_date_input(field) -> bool:
    return _is_date_input(field)


@register.filter
def error_target(field) -> str:
    """The id an error summary's link goes to: a focusable box, never a wrapper. For a date,
    the first part in error; for radios and checkboxes, the first of them."""
    if _is_date_input(field):
        first = error_parts(field)[0] if field.errors else PARTS[0]
        return f"{field.auto_id}_{PARTS.index(first)}"
    if isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"{field.auto_id}_0"
    return field.auto_id


@register.simple_tag
def date_parts(field) -> list[dict]:
    """Each part of a date field: its name, id, value, label, width and whether it is in error."""
    widget = field.field.widget
    values = parts_of_list(field.value())
    wrong = error_parts(field)
    autocomplete = getattr(widget, "autocomplete", "")
    return [
        {
            "name": f"{field.html_name}_{part}",
            "id": f"{field.auto_id}_{index}",
            "value": values[index] or "",
            "label": PART_LABELS[part],
            "width": PART_WIDTHS[part],
            "invalid": part in wrong,
            "autocomplete": f"{autocomplete}-{part}" if autocomplete else "",
        }
        for index, part in enumerate(PARTS)
    ]


def character_limit(field) -> int | None:
    """The most characters a text area takes, when its field says (a max_length)."""
    if isinstance(field.field.widget, forms.Textarea):
        return getattr(field.field, "max_length", None)
    return None


@register.filter
def max_characters(field) -> int | None:
    return character_limit(field)


def _width(field) -> int | None:
    widget = field.field.widget
    if not isinstance(widget, _TEXT_WIDGETS) or isinstance(widget, forms.EmailInput):
        return None
    if widget.attrs.get("inputmode") == "decimal":
        return 10
    if isinstance(widget, forms.NumberInput):
        return 5
    length = getattr(field.field, "max_length", None)
    return next((width for width in WIDTHS if length and length <= width), None)


@register.simple_tag
def pattern_widget(field):
    """The widget with aria-describedby (hint, error, character count), aria-invalid, and a
    width class fitting what is expected in it."""
    attrs = {}
    ids = [describedby_ids(field)]
    if character_limit(field):
        ids.append(f"{field.auto_id}_count")
    if described_by := " ".join(i for i in ids if i):
        attrs["aria-describedby"] = described_by
    if field.errors:
        attrs["aria-invalid"] = "true"
    if width := _width(field):
        existing = field.field.widget.attrs.get("class", "")
        attrs["class"] = f"{existing} input-width-{width}".strip()
    return field.as_widget(attrs=attrs)


@register.simple_tag
def count_messages() -> str:
    """The character count's sentences for forms.js, as data attributes, so they are
    translated with the page."""
    messages = {
        "data-remaining-one": _("You have %(count)s character remaining"),
        "data-remaining-other": _("You have %(count)s characters remaining"),
        "data-over-one": _("You have %(count)s character too many"),
        "data-over-other": _("You have %(count)s characters too many"),
    }
    return format_html_join(" ", '{}="{}"', messages.items())
