"""Forms for teams."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.models import HarmCategory, Severity
from portal import access
from portal.models import Role, User
from triage.models import RoutingRule, Team


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
    due_date = forms.DateField(
        label=gettext_lazy("Reply by"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": gettext_lazy("Enter the date to reply by."),
            "invalid": gettext_lazy("Enter a real date."),
        },
    )


class OfferForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount offered, in pounds"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        error_messages={
            "required": gettext_lazy("Enter the amount offered."),
            "min_value": gettext_lazy("An offer must be more than £0."),
            "invalid": gettext_lazy("Enter an amount in pounds, like 2500 or 2500.50."),
        },
    )
    note = forms.CharField(
        label=gettext_lazy("Note to the patient (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )


class NoteForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Internal note (never shown to the patient)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": gettext_lazy("Write the note.")},
    )


class AssignForm(forms.Form):
    adjuster = forms.ModelChoiceField(
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
