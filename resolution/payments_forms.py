"""Forms of settlement and payment: the patient's bank details, a payment the insurer records,
and the reserve. Each field's check is the service's own (resolution/payments.py), so the
message a person reads on the form is the one the service would give."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.forms import PlainTextField
from portal.date_input import DateInputField
from resolution import payments
from resolution.models import PaymentMethod
from triage.models import AMOUNT_MAX


def _service_check(check, value):
    try:
        return check(value)
    except payments.PaymentError as error:
        raise forms.ValidationError(str(error)) from error


class BankDetailsForm(forms.Form):
    account_name = PlainTextField(
        label=_("Name on the account"),
        max_length=payments.ACCOUNT_NAME_MAX,
        error_messages={
            "required": _("Enter the name on the bank account."),
            "max_length": _("The name on the account can be at most 140 characters."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    sort_code = forms.CharField(
        label=_("Sort code"),
        help_text=_("6 digits, like 30-94-57."),
        max_length=20,
        error_messages={
            "required": _("Enter the sort code."),
            "max_length": _("Enter the sort code as 6 digits, like 30-94-57."),
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    account_number = forms.CharField(
        label=_("Account number"),
        help_text=_("8 digits."),
        max_length=30,
        error_messages={
            "required": _("Enter the account number."),
            "max_length": _("Enter the account number as 8 digits, like 31926819."),
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_account_name(self) -> str:
        return _service_check(payments.account_name_clean, self.cleaned_data["account_name"])

    def clean_sort_code(self) -> str:
        return _service_check(payments.sort_code_clean, self.cleaned_data["sort_code"])

    def clean_account_number(self) -> str:
        return _service_check(payments.account_number_clean, self.cleaned_data["account_number"])


def _money(label, *, minimum: Decimal, wrong) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=minimum,
        max_value=AMOUNT_MAX,
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages={
            "required": wrong,
            "min_value": wrong,
            "max_value": wrong,
            "invalid": wrong,
            "max_digits": wrong,
            "max_whole_digits": wrong,
            "max_decimal_places": _("Enter pounds and pence, like 2500.50."),
        },
    )


class PaymentForm(forms.Form):
    amount = _money(
        _("Amount paid (£)"),
        minimum=Decimal("0.01"),
        wrong=_("Enter the amount paid in pounds, more than 0, like 2500.50."),
    )
    paid_on = DateInputField(
        label=_("Date paid"),
        subject=_("The date paid"),
        initial=timezone.localdate,
        error_messages={"required": _("Enter the date the payment was made.")},
    )
    method = forms.ChoiceField(
        label=_("How it was paid"),
        choices=PaymentMethod.choices,
        initial=PaymentMethod.BANK_TRANSFER,
        error_messages={
            "required": _("Choose how the payment was made."),
            "invalid_choice": _("Choose how the payment was made."),
        },
    )
    finance_reference = PlainTextField(
        label=_("Finance system reference"),
        help_text=_("As the finance system shows it; each payment has its own."),
        max_length=payments.FINANCE_REFERENCE_MAX,
        error_messages={
            "required": _("Enter the finance system's reference for this payment."),
            "max_length": _("The finance reference can be at most 100 characters."),
        },
    )

    def clean_paid_on(self):
        paid_on = self.cleaned_data["paid_on"]
        if paid_on > timezone.localdate():
            raise forms.ValidationError(_("The date paid cannot be in the future."))
        return paid_on


class ReserveForm(forms.Form):
    amount = _money(
        _("Reserve (£)"),
        minimum=Decimal("0"),
        wrong=_("Enter a reserve in pounds from 0 to 999,999,999.99, like 25000."),
    )
    reason = PlainTextField(
        label=_("Reason for the change"),
        max_length=payments.RESERVE_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Give the reason for the reserve."),
            "max_length": _("Keep the reason to 500 characters or fewer."),
        },
    )
