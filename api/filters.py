"""The claims list's filters (django-filter): each a plain column test, so the list stays one
indexed query however many claims there are."""

import datetime

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

from intake.models import Claim, ClaimStatus

ID_MAX = 2**31 - 1


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time, in UTC before it reaches the database: PostgreSQL refuses an
    offset beyond ±15:59, which ISO 8601 (and Python) allow."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(datetime.UTC)
        except OverflowError:
            raise forms.ValidationError("Enter a date and time from year 1 to 9999.") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": ID_MAX})
class IdFilter(django_filters.NumberFilter):
    """A row's id: a whole number the database can hold (a larger one is a 400, not a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=ID_MAX, **kwargs)


class ClaimFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ClaimStatus.choices)
    team = IdFilter(field_name="team_id")
    adjuster = IdFilter(field_name="assigned_adjuster_id")
    received_from = UtcDateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    received_to = UtcDateTimeFilter(field_name="submitted_at", lookup_expr="lt")
    updated_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Claim
        fields = ["status", "team", "adjuster", "received_from", "received_to", "updated_since"]
