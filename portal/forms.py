"""Forms of the portal app: allauth's account and two-factor forms in the portal's words.

allauth's own forms answer an empty field with Django's "This field is required.", the same
words for every field, so a list of errors does not say which is which. Each form here names its
fields in sentence case and gives every field its own message, as the error summary lists them.
They are wired in through ACCOUNT_FORMS and MFA_FORMS (config/settings/base.py)."""

from allauth.account import forms as account_forms
from allauth.mfa.base import forms as mfa_base_forms
from allauth.mfa.totp import forms as totp_forms
from allauth.mfa.webauthn import forms as webauthn_forms
from django import forms
from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext_lazy as _

from portal.models import SIGNUP_ROLES

EMAIL_INVALID = _("Enter an email address in the correct format, like name@example.com")
CODE_LABEL = _("Code from your authenticator app")
CODE_REQUIRED = _("Enter the 6-digit code from your authenticator app")


class PortalFormMixin:
    """Relabels fields and gives each its own "required" (and "invalid") message.

    `labels` and `messages` map a field's name to its label and to the message for an empty
    answer. Placeholders go: they vanish as a person types and read as an answer already given."""

    labels: dict = {}
    messages: dict = {}
    invalid_messages: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.pop("placeholder", None)
            if name in self.labels:
                field.label = self.labels[name]
            if name in self.messages:
                field.error_messages["required"] = self.messages[name]
            if name in self.invalid_messages:
                field.error_messages["invalid"] = self.invalid_messages[name]
            elif isinstance(field, forms.EmailField):
                field.error_messages["invalid"] = EMAIL_INVALID


class SignupForm(PortalFormMixin, account_forms.SignupForm):
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

    labels = {
        "email": _("Email address"),
        "password1": _("Create a password"),
        "password2": _("Type the password again"),
    }
    messages = {
        "full_name": _("Enter your full name"),
        "email": _("Enter your email address"),
        "role": _("Choose whether you are a patient or a patient advocate"),
        "password1": _("Create a password"),
        "password2": _("Type the password again"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["full_name", "email", "role", "password1", "password2"])

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


class LoginForm(PortalFormMixin, account_forms.LoginForm):
    labels = {"login": _("Email address"), "password": _("Password")}
    messages = {
        "login": _("Enter your email address"),
        "password": _("Enter your password"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The page links to the password reset under the form; the hint would say it twice.
        self.fields["password"].help_text = ""


class ResetPasswordForm(PortalFormMixin, account_forms.ResetPasswordForm):
    labels = {"email": _("Email address")}
    messages = {"email": _("Enter the email address you signed up with")}


class ResetPasswordKeyForm(PortalFormMixin, account_forms.ResetPasswordKeyForm):
    labels = {"password1": _("New password"), "password2": _("Type the new password again")}
    messages = {
        "password1": _("Enter a new password"),
        "password2": _("Type the new password again"),
    }


class ChangePasswordForm(PortalFormMixin, account_forms.ChangePasswordForm):
    labels = {
        "oldpassword": _("Current password"),
        "password1": _("New password"),
        "password2": _("Type the new password again"),
    }
    messages = {
        "oldpassword": _("Enter your current password"),
        "password1": _("Enter a new password"),
        "password2": _("Type the new password again"),
    }


class SetPasswordForm(PortalFormMixin, account_forms.SetPasswordForm):
    labels = {"password1": _("Password"), "password2": _("Type the password again")}
    messages = {
        "password1": _("Enter a password"),
        "password2": _("Type the password again"),
    }


class AddEmailForm(PortalFormMixin, account_forms.AddEmailForm):
    """With ACCOUNT_CHANGE_EMAIL the email page changes the one address; this is its form."""

    labels = {"email": _("New email address")}
    messages = {"email": _("Enter the new email address")}


class ReauthenticateForm(PortalFormMixin, account_forms.ReauthenticateForm):
    labels = {"password": _("Password")}
    messages = {"password": _("Enter your password")}


class MFAAuthenticateForm(PortalFormMixin, mfa_base_forms.AuthenticateForm):
    labels = {"code": CODE_LABEL}
    messages = {"code": CODE_REQUIRED}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = _(
            "Or enter one of your recovery codes if you do not have your authenticator app."
        )


class MFAReauthenticateForm(PortalFormMixin, mfa_base_forms.ReauthenticateForm):
    labels = {"code": CODE_LABEL}
    messages = {"code": CODE_REQUIRED}


class ActivateTOTPForm(PortalFormMixin, totp_forms.ActivateTOTPForm):
    labels = {"code": _("Code from the app")}
    messages = {"code": _("Enter the 6-digit code your authenticator app shows")}


class AddWebAuthnForm(PortalFormMixin, webauthn_forms.AddWebAuthnForm):
    labels = {
        "name": _("Name for this passkey or security key"),
        "passwordless": _("Use it to sign in without a password (a passkey)"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].help_text = _(
            "So that you can tell your keys apart, for example 'Work laptop'."
        )
        if "passwordless" in self.fields:
            self.fields["passwordless"].help_text = _(
                "Your device will ask for your fingerprint, face or PIN each time you sign in."
            )


class EditWebAuthnForm(PortalFormMixin, webauthn_forms.EditWebAuthnForm):
    labels = {"name": _("Name")}
    messages = {"name": _("Enter a name for this key")}


class AccountNameForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        error_messages={
            "required": _("Enter your full name"),
            "max_length": _("Enter your name in 200 characters or fewer"),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("The name the insurer and your advocates see on your claims."),
    )

    def clean_full_name(self) -> str:
        name = self.cleaned_data["full_name"].strip()
        if "\x00" in name:
            raise forms.ValidationError(_("Enter your name without control characters."))
        if not name:
            raise forms.ValidationError(_("Enter your full name"))
        return name
