"""Forms of the legal holds, erasure and contact-correction pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.date_input import DateInputField


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
    review_on = DateInputField(
        label=_("Review the hold on (optional)"),
        subject=_("The review date"),
        help_text=_("The day someone should check whether it is still needed."),
        when="today_or_future",
        required=False,
    )


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
