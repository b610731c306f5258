"""Forms of the legal holds, erasure and contact-correction pages."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class HoldPlaceForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the claim must be kept"),
        help_text=_(
            "For example the court case or complaint it is kept for. While the hold is in force "
            "nothing on the claim is anonymised or deleted."
        ),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reason for the hold.")},
    )
    review_on = forms.DateField(
        label=_("Review the hold on (optional)"),
        help_text=_("The day someone should check whether it is still needed, as 31/12/2027."),
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        error_messages={"invalid": _("Enter the review date as day/month/year, as 31/12/2027.")},
    )

    def clean_review_on(self):
        review_on = self.cleaned_data.get("review_on")
        if review_on and review_on < timezone.localdate():
            raise forms.ValidationError(_("The review date must be today or later."))
        return review_on


class HoldLiftForm(forms.Form):
    lift_reason = forms.CharField(
        label=_("Why the hold can be lifted"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give the reason for lifting the hold.")},
    )


class AccountDeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my account and my unfinished claims will be deleted for good"),
        error_messages={
            "required": _("Tick the box to confirm that you want your account deleted.")
        },
    )


class ContactCorrectForm(forms.Form):
    full_name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        error_messages={"required": _("Enter your full name.")},
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=40,
        required=False,
        help_text=_("The number the claims handler can call you on."),
    )
    address = forms.CharField(
        label=_("Postal address"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Where letters about your claims are sent."),
    )
