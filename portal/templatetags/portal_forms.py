"""Template helpers for accessible forms."""

from django import template

register = template.Library()


@register.filter
def widget_type(field) -> str:
    return field.field.widget.__class__.__name__.lower()


@register.filter
def describedby_ids(field) -> str:
    """The ids of the field's hint and error, for aria-describedby."""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}_hint")
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    return " ".join(ids)


@register.simple_tag
def described_widget(field):
    """Render the widget with aria-describedby pointing at its hint and error, and aria-invalid."""
    attrs = {}
    if described_by := describedby_ids(field):
        attrs["aria-describedby"] = described_by
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)
