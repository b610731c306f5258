"""Forms of the portal app."""

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext_lazy as _

from portal.models import SIGNUP_ROLES


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form (email and password) with the portal's own questions."""

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

    def try_save(self, request):
        """For an address already registered allauth creates nothing and sends an email; a new
        account costs a password hash. Hash here too, so that the answer takes as long either
        way and its timing does not tell whether an address has an account."""
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1"))
        return super().try_save(request)

    def signup(self, request, user) -> None:
        """Called by allauth once the account exists; the adapter already applied the fields."""
