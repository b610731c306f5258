"""Forms of the portal app."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.models import SIGNUP_ROLES


class SignupForm(forms.Form):
    """Extra sign-up questions, merged into allauth's sign-up form (email and password)."""

    full_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    role = forms.ChoiceField(
        label=_("I am"),
        choices=[(role.value, role.label) for role in SIGNUP_ROLES],
        widget=forms.RadioSelect,
        initial=SIGNUP_ROLES[0].value,
        help_text=_(
            "Choose 'Patient advocate' if you act for a patient, for example as their solicitor "
            "or relative. An administrator verifies advocate accounts before they can file on "
            "a patient's behalf."
        ),
    )

    def clean_full_name(self) -> str:
        name = self.cleaned_data["full_name"].strip()
        if "\x00" in name:
            raise forms.ValidationError(_("Enter your name without control characters."))
        return name

    def signup(self, request, user) -> None:
        """Called by allauth once the account exists; the adapter already applied the fields."""
