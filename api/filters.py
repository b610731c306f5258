"""The claims list's filters (django-filter): each a plain column test, so the list stays one
indexed query however many claims there are."""

import django_filters

from intake.models import Claim, ClaimStatus


class ClaimFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ClaimStatus.choices)
    team = django_filters.NumberFilter(field_name="team_id")
    adjuster = django_filters.NumberFilter(field_name="assigned_adjuster_id")
    received_from = django_filters.IsoDateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    received_to = django_filters.IsoDateTimeFilter(field_name="submitted_at", lookup_expr="lt")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Claim
        fields = ["status", "team", "adjuster", "received_from", "received_to", "updated_since"]
