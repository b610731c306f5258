"""Forms of the advocates' pages: the patient's invitation and changes, the advocate's filing on
behalf and dashboard filters, and the insurer's check of an authority form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from intake.forms import PlainTextField
from intake.models import AUTHORITY_SCOPES, Authority, Claim
from portal.date_input import DateInputField

ALL_CLAIMS = "all"


class AuthorityScopeForm(forms.Form):
    """What the advocate may do beyond following the status, and until when."""

    scopes = forms.MultipleChoiceField(
        label=_("What may they do, besides following the status of the claim?"),
        choices=list(AUTHORITY_SCOPES.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    expires_on = DateInputField(
        label=_("Last day of their authority (optional)"),
        subject=_("The last day"),
        help_text=_("Leave empty to keep it until you end it."),
        when="today_or_future",
        required=False,
    )

    def scope_flags(self) -> dict[str, bool]:
        chosen = set(self.cleaned_data["scopes"])
        return {field: field in chosen for field in AUTHORITY_SCOPES}

    @classmethod
    def initial_for(cls, authority: Authority) -> dict:
        return {
            "scopes": [field for field in AUTHORITY_SCOPES if getattr(authority, field)],
            "expires_on": authority.expires_on,
        }


class AuthorityInviteForm(AuthorityScopeForm):
    email = forms.EmailField(
        label=_("Their email address"),
        error_messages={
            "required": _("Enter the email address of the person who will act for you."),
            "invalid": _("Enter an email address like name@example.com."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    claim = forms.ChoiceField(label=_("Which claims?"), widget=forms.RadioSelect)

    field_order = ["email", "claim", "scopes", "expires_on"]

    def __init__(self, *args, claims, **kwargs):
        super().__init__(*args, **kwargs)
        self._claims = {str(claim.pk): claim for claim in claims}
        self.fields["claim"].choices = [
            (ALL_CLAIMS, _("All my claims, including any I make later")),
            *[(pk, f"{c.reference}: {c.provider_display}") for pk, c in self._claims.items()],
        ]
        self.fields["claim"].error_messages["required"] = _("Choose which claims they may follow.")

    def chosen_claim(self) -> Claim | None:
        """The claim chosen, or None for all of them (choices are the patient's own claims)."""
        return self._claims.get(self.cleaned_data["claim"])


class OnBehalfStartForm(forms.Form):
    full_name = PlainTextField(
        label=_("The patient's full name"),
        max_length=150,
        error_messages={"required": _("Enter the patient's full name.")},
    )
    email = forms.EmailField(
        label=_("The patient's email address"),
        help_text=_("We email the patient so they can take over their account and follow it."),
        error_messages={
            "required": _("Enter the patient's email address."),
            "invalid": _("Enter an email address like name@example.com."),
        },
    )
    holds_signed_form = forms.BooleanField(
        label=_(
            "I hold an authority form the patient has signed, and will send it with the claim."
        ),
        error_messages={
            "required": _("Confirm that you hold the patient's signed authority form.")
        },
    )


class AdvocateClaimFilterForm(forms.Form):
    """The advocate dashboard's filters; every field optional."""

    STATUS_CHOICES = [
        ("", _("Any status")),
        ("action", _("Needing the patient's action")),
        ("open", _("Open")),
        ("finished", _("Finished")),
    ]

    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    client = forms.ChoiceField(label=_("Client"), required=False)
    reference = forms.CharField(label=_("Claim reference"), max_length=20, required=False)

    def __init__(self, *args, clients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].choices = [("", _("All clients"))] + [
            (str(user.pk), user.get_full_name()) for user in clients
        ]


class AuthorityDecisionForm(forms.Form):
    DECISIONS = [
        ("verify", _("The signed authority form is valid")),
        ("reject", _("The authority form is missing, unsigned or not valid")),
    ]
    decision = forms.ChoiceField(
        label=_("Your check of the advocate's authority form"),
        choices=DECISIONS,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether the authority form is valid.")},
    )
    reason = PlainTextField(
        label=_("Why (required when you reject it)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not data.get("reason", "").strip():
            self.add_error("reason", _("Say why the authority form is not valid."))
        return data
