"""Forms for the insurer's staff: teams, claim actions, assignment and routing rules.

Every number a person types has bounds that make sense (triage.models holds them, with the
check constraints that hold them in the database too), and a value outside them is refused with
a sentence saying what is allowed.
"""

import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.models import HarmCategory, Severity
from portal.date_input import DateInputField
from portal.models import Role, User
from triage import access
from triage.models import (
    AMOUNT_MAX,
    LIMITATION_DAYS_MAX,
    POSITION_MAX,
    POSITION_MIN,
    SERVICE_DAYS_MAX,
    SERVICE_DAYS_MIN,
    RoutingRule,
    Team,
)

#: How far ahead a reply-by date may be set: a request waits for the patient at most a year.
REPLY_BY_MAX_DAYS = 365


def _whole_number(label, *, low: int, high: int, required: bool, wrong) -> forms.IntegerField:
    """A whole number field from `low` to `high`; `wrong` is the one sentence shown for any value
    outside them or not a whole number."""
    return forms.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        required=required,
        error_messages={"min_value": wrong, "max_value": wrong, "invalid": wrong},
    )


def _amount(label, *, required: bool = False) -> forms.DecimalField:
    wrong = gettext_lazy("Enter an amount in pounds from 0 to 999,999,999.99, like 25000.")
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0"),
        max_value=AMOUNT_MAX,
        max_digits=12,
        decimal_places=2,
        required=required,
        error_messages={
            "min_value": wrong,
            "max_value": wrong,
            "invalid": wrong,
            "max_digits": wrong,
            "max_whole_digits": wrong,
            "max_decimal_places": gettext_lazy("Enter pounds and pence, like 2500.50."),
        },
    )


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["insurer", "name", "lead", "members"]

    def clean(self):
        cleaned = super().clean()
        insurer = cleaned.get("insurer")
        outsiders = [
            member
            for member in cleaned.get("members") or []
            if member.role != Role.ADJUSTER or member.insurer_id != getattr(insurer, "pk", None)
        ]
        if insurer and outsiders:
            # Claims routed to a team are seen by its members: never another insurer's staff.
            self.add_error(
                "members",
                _("Only adjusters who work for %(insurer)s can be in this team: remove %(names)s.")
                % {"insurer": insurer, "names": ", ".join(str(m) for m in outsiders)},
            )
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )


class RequestInformationForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("What do you need from the patient?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        error_messages={"required": gettext_lazy("Say what information you need.")},
    )
    due_date = DateInputField(
        label=gettext_lazy("Reply by"),
        subject=gettext_lazy("The reply-by date"),
        ahead=True,
        error_messages={"required": gettext_lazy("Enter the date to reply by.")},
    )

    def clean_due_date(self) -> datetime.date:
        due = self.cleaned_data["due_date"]
        today = timezone.localdate()
        if not today < due <= today + datetime.timedelta(days=REPLY_BY_MAX_DAYS):
            raise forms.ValidationError(_("Choose a reply-by date after today and within a year."))
        return due


class NoteForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Internal note (never shown to the patient)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": gettext_lazy("Write the note.")},
    )


class AdjusterChoiceField(forms.ModelChoiceField):
    """Adjusters by name: the person choosing knows their colleagues' names, not their email
    addresses (an adjuster with no name on file shows as their address, so none is blank)."""

    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name()


class AssignForm(forms.Form):
    adjuster = AdjusterChoiceField(
        label=gettext_lazy("Adjuster"),
        queryset=User.objects.none(),
        required=False,
        empty_label=gettext_lazy("Choose by the assignment rules"),
        error_messages={"invalid_choice": gettext_lazy("Choose an adjuster from the list.")},
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=gettext_lazy("Keep the claim's team"),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": gettext_lazy("Give a reason for this assignment.")},
    )

    def __init__(self, *args, lead: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["adjuster"].queryset = (
            access.adjusters_visible_to(lead).filter(is_active=True).order_by("full_name")
        )
        self.fields["team"].queryset = Team.objects.filter(insurer_id=lead.insurer_id)


class RoutingRuleForm(forms.ModelForm):
    harm_categories = forms.MultipleChoiceField(
        label=gettext_lazy("Kinds of harm (none ticked: any)"),
        choices=HarmCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    severities = forms.MultipleChoiceField(
        label=gettext_lazy("Severities (none ticked: any)"),
        choices=Severity.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    position = _whole_number(
        gettext_lazy("Position"),
        low=POSITION_MIN,
        high=POSITION_MAX,
        required=True,
        wrong=gettext_lazy("Enter a position from 1 to 9,999: rules are tried from 1 upwards."),
    )
    min_claimed_amount = _amount(gettext_lazy("Claimed amount from"))
    max_claimed_amount = _amount(gettext_lazy("Claimed amount up to"))
    max_days_to_limitation = _whole_number(
        gettext_lazy("Days left before the limitation deadline, at most"),
        low=0,
        high=LIMITATION_DAYS_MAX,
        required=False,
        wrong=gettext_lazy("Enter the days left before the limitation deadline, from 0 to 3,650."),
    )
    days_to_acknowledge = _whole_number(
        gettext_lazy("Business days to acknowledge"),
        low=SERVICE_DAYS_MIN,
        high=SERVICE_DAYS_MAX,
        required=True,
        wrong=gettext_lazy("Enter the business days to acknowledge, from 1 to 3,650."),
    )
    days_to_decide = _whole_number(
        gettext_lazy("Business days to decide"),
        low=SERVICE_DAYS_MIN,
        high=SERVICE_DAYS_MAX,
        required=True,
        wrong=gettext_lazy("Enter the business days to decide, from 1 to 3,650."),
    )

    class Meta:
        model = RoutingRule
        fields = [
            "position",
            "name",
            "harm_categories",
            "severities",
            "provider",
            "region",
            "min_claimed_amount",
            "max_claimed_amount",
            "max_days_to_limitation",
            "team",
            "priority",
            "days_to_acknowledge",
            "days_to_decide",
        ]

    def __init__(self, *args, insurer, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.insurer = insurer
        self.fields["team"].queryset = Team.objects.filter(insurer=insurer)
        self.fields["provider"].required = False

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_claimed_amount"), cleaned.get("max_claimed_amount")
        if low is not None and high is not None and low > high:
            self.add_error("max_claimed_amount", _("The upper amount must not be below the lower."))
        return cleaned

    def validate_unique(self):
        # The insurer is set on the instance, not a form field, so check its positions here.
        super().validate_unique()
        clash = RoutingRule.objects.filter(
            insurer=self.instance.insurer, position=self.cleaned_data.get("position")
        ).exclude(pk=self.instance.pk)
        if clash.exists():
            self.add_error("position", _("Another rule has this position; choose a free one."))
