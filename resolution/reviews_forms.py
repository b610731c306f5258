"""The forms of a review: the patient's request and the reviewer's outcome."""

from django import forms
from django.utils.translation import gettext_lazy as _

from intake.forms import PlainTextField
from resolution.models import ReviewOutcome

REASONS_MAX = 5000


class ReviewRequestForm(forms.Form):
    reasons = PlainTextField(
        label=_("Why should the decision be looked at again?"),
        help_text=_(
            "Say what you think is wrong with the decision, and anything the claims handler may "
            "not have known."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=REASONS_MAX,
        error_messages={"required": _("Say why the decision should be looked at again.")},
    )


class ReviewDecideForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome of the review"),
        choices=ReviewOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose whether the decision is upheld or changed."),
            "invalid_choice": _("Choose whether the decision is upheld or changed."),
        },
    )
    reasons = PlainTextField(
        label=_("Reasons (the patient sees them)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=REASONS_MAX,
        error_messages={"required": _("Give the reasons for the outcome; the patient sees them.")},
    )
