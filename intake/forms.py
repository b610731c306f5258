"""One form per question page of the harm report, each validating only its own answers."""

import datetime
from decimal import Decimal

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from intake.models import Claim, HarmCategory, LossKind, Severity
from intake.text import has_visible_text, normalise_text
from portal.date_input import DateInputField
from portal.models import Provider

EARLIEST_DATE = datetime.date(1900, 1, 1)


class PlainTextField(forms.CharField):
    """Text kept as intake.text normalises it (newlines only in a text area), so an answer of
    nothing visible is empty: a required one is refused with the page's own message."""

    def to_python(self, value):
        if value not in self.empty_values:
            multiline = isinstance(self.widget, forms.Textarea)
            value = normalise_text(str(value), multiline=multiline)
            value = value if has_visible_text(value) else ""
        return super().to_python(value)


def plain_text_formfield(db_field: models.Field, **kwargs) -> forms.Field | None:
    """A ModelForm's `formfield_callback`: free-text columns get a PlainTextField."""
    if isinstance(db_field, models.CharField | models.TextField) and not db_field.choices:
        kwargs.setdefault("form_class", PlainTextField)
    return db_field.formfield(**kwargs)


class RequiredAnswers:
    """A question page whose answers are required, though the draft's fields may stay empty
    until then: `required_messages` names each one and what to say when it is missing."""

    required_messages: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, message in self.required_messages.items():
            self.fields[name].required = True
            self.fields[name].error_messages["required"] = message


class AboutYouForm(RequiredAnswers, forms.ModelForm):
    date_of_birth = DateInputField(
        label=_("Date of birth"),
        subject=_("Date of birth"),
        when="past",
        earliest=EARLIEST_DATE,
        autocomplete="bday",
        required=False,
    )
    required_messages = {
        "date_of_birth": _("Enter your date of birth."),
        "phone": _("Enter your phone number."),
        "address": _("Enter your postal address."),
    }

    class Meta:
        model = Claim
        formfield_callback = plain_text_formfield
        fields = ["date_of_birth", "phone", "address", "nhs_number"]
        widgets = {
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "address": forms.Textarea(attrs={"rows": 4, "autocomplete": "street-address"}),
        }
        labels = {
            "phone": _("Phone number"),
            "address": _("Postal address"),
            "nhs_number": _("NHS number or insurance number (optional)"),
        }
        help_texts = {
            "phone": _("We will only call you about your claim."),
        }


class ProviderForm(forms.ModelForm):
    """Pick a known provider, or describe one that is not listed (it will be routed by hand)."""

    provider = forms.ModelChoiceField(
        label=_("Where did the care happen?"),
        queryset=Provider.objects.filter(is_active=True),
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose a provider from the list.")},
    )

    class Meta:
        model = Claim
        formfield_callback = plain_text_formfield
        fields = ["provider", "provider_not_listed"]
        labels = {"provider_not_listed": _("My provider is not listed: its name and town")}

    def __init__(self, *args, query: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.query = query.strip()[:100]
        matches = self.fields["provider"].queryset.order_by("name")
        if self.query:
            matches = matches.filter(name__icontains=self.query)
        self.provider_matches = list(matches[:25])
        selected = self.instance.provider if self.instance.provider_id else None
        if selected and selected not in self.provider_matches:
            self.provider_matches.insert(0, selected)

    def clean(self):
        cleaned = super().clean()
        provider, not_listed = cleaned.get("provider"), cleaned.get("provider_not_listed", "")
        if not provider and not not_listed and not self.errors:
            raise forms.ValidationError(
                _("Choose the provider, or tell us its name if it is not listed.")
            )
        if provider and not_listed:
            # The patient changed their mind: the explicit choice from the list wins.
            cleaned["provider_not_listed"] = ""
        return cleaned


class WhatHappenedForm(RequiredAnswers, forms.ModelForm):
    incident_date = DateInputField(
        label=_("When did it happen?"),
        subject=_("The date it happened"),
        help_text=_("If you are not sure, give your best estimate."),
        when="today_or_past",
        earliest=EARLIEST_DATE,
        required=False,
    )
    knowledge_date = DateInputField(
        label=_("When did you find out that the care had harmed you?"),
        subject=_("The date you found out"),
        help_text=_("This can be later than the care itself."),
        when="today_or_past",
        earliest=EARLIEST_DATE,
        required=False,
    )
    required_messages = {
        "incident_date": _("Enter the date it happened."),
        "knowledge_date": _("Enter the date you found out."),
        "harm_category": _("Choose the kind of harm."),
        "description": _("Describe what happened."),
    }

    class Meta:
        model = Claim
        formfield_callback = plain_text_formfield
        fields = ["incident_date", "knowledge_date", "harm_category", "description"]
        widgets = {
            "harm_category": forms.RadioSelect,
            "description": forms.Textarea(attrs={"rows": 8}),
        }
        labels = {
            "harm_category": _("What kind of harm was it?"),
            "description": _("What happened?"),
        }
        help_texts = {
            # The limit is said by the character count under the box.
            "description": _(
                "Describe the care you received and what went wrong, in your own words."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["harm_category"].choices = HarmCategory.choices

    def clean(self):
        cleaned = super().clean()
        incident, knowledge = cleaned.get("incident_date"), cleaned.get("knowledge_date")
        if incident and knowledge and knowledge < incident:
            self.add_error(
                "knowledge_date",
                _("The date you found out cannot be before the date it happened."),
            )
        return cleaned


class HarmForm(RequiredAnswers, forms.ModelForm):
    required_messages = {
        "severity": _("Choose how serious the harm is."),
        "injuries": _("Describe the injuries or illness."),
    }

    ongoing_treatment = forms.TypedChoiceField(
        label=_("Are you still having treatment for the harm?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether you are still having treatment.")},
    )

    class Meta:
        model = Claim
        formfield_callback = plain_text_formfield
        fields = ["severity", "injuries", "ongoing_treatment"]
        widgets = {"severity": forms.RadioSelect, "injuries": forms.Textarea(attrs={"rows": 6})}
        labels = {
            "severity": _("How serious is the harm?"),
            "injuries": _("What injuries or illness did it cause?"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].choices = Severity.choices
        if self.instance.ongoing_treatment is not None:
            self.initial["ongoing_treatment"] = "yes" if self.instance.ongoing_treatment else "no"


class LossesForm(forms.Form):
    """Kinds of financial loss, each with an optional amount, and time off work."""

    kinds = forms.MultipleChoiceField(
        label=_("Which losses have you had because of the harm?"),
        choices=LossKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Select all that apply. Leave them all unticked if you have had none."),
    )
    time_off_work_days = forms.IntegerField(
        label=_("How many days off work have you had? (optional)"),
        min_value=0,
        max_value=36_500,
        required=False,
        error_messages={
            "min_value": _("Days off work cannot be negative."),
            "invalid": _("Enter days off work as a whole number, like 12."),
        },
    )

    def __init__(self, *args, claim: Claim, **kwargs):
        self.claim = claim
        initial = {
            "kinds": list(claim.losses),
            "time_off_work_days": claim.time_off_work_days,
            **{f"amount_{kind}": amount for kind, amount in claim.losses.items() if amount},
        }
        super().__init__(*args, initial=initial, **kwargs)
        for kind, label in LossKind.choices:
            self.fields[f"amount_{kind}"] = forms.DecimalField(
                label=_("%(kind)s: amount in pounds (optional)") % {"kind": label},
                min_value=Decimal("0"),
                max_digits=10,
                decimal_places=2,
                required=False,
                error_messages={
                    "min_value": _("Amounts cannot be negative."),
                    "invalid": _("Enter an amount in pounds, like 150 or 150.50."),
                    "max_digits": _("Enter an amount under 100 million pounds."),
                    "max_whole_digits": _("Enter an amount under 100 million pounds."),
                    "max_decimal_places": _("Enter an amount in pounds and pence, like 150.50."),
                },
            )
        self.order_fields(["kinds", *(f"amount_{kind}" for kind in LossKind.values)])

    def changes(self) -> dict:
        """The claim fields this step sets, from the cleaned answers."""
        kinds = set(self.cleaned_data["kinds"])
        amounts = {kind: self.cleaned_data.get(f"amount_{kind}") for kind in LossKind.values}
        # An amount typed for an unticked kind says clearly enough that the loss happened.
        kinds |= {kind for kind, amount in amounts.items() if amount is not None}
        losses = {
            kind: "" if amounts[kind] is None else str(amounts[kind])
            for kind in LossKind.values
            if kind in kinds
        }
        return {"losses": losses, "time_off_work_days": self.cleaned_data["time_off_work_days"]}


class DeclarationForm(RequiredAnswers, forms.ModelForm):
    required_messages = {
        "statement_of_truth": _("Confirm that the facts in your claim are true."),
        "consent_to_share": _("Agree to share your claim with the insurer to continue."),
        "consent_to_records": _("Agree to the insurer obtaining your records to continue."),
    }

    class Meta:
        model = Claim
        fields = ["statement_of_truth", "consent_to_share", "consent_to_records"]
        labels = {
            "statement_of_truth": _("I believe that the facts stated in this claim are true."),
            "consent_to_share": _(
                "I agree that my claim and documents may be shared with the insurer that handles "
                "it."
            ),
            "consent_to_records": _(
                "I agree that the insurer may obtain my medical records about this care."
            ),
        }


class WithdrawForm(forms.Form):
    reason = PlainTextField(
        label=_("Why are you withdrawing your claim? (optional)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        required=False,
    )


class MessageForm(forms.Form):
    body = PlainTextField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        error_messages={"required": _("Write your message.")},
    )
