"""Forms for offers: the insurer's offer (an amount per head of loss, past and future), and the
patient's answers (accept, decline, counter). Every bound is said in a sentence a person can act
on; the services check the same rules again."""

import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.models import Claim
from portal.date_input import DateInputField
from resolution.models import HeadOfLoss, Offer
from resolution.offers import RESPOND_BY_MAX_DAYS, offer_heads
from triage.models import AMOUNT_MAX

#: The terms an offer starts with; the adjuster may change them.
DEFAULT_TERMS = gettext_lazy(
    "This offer is made in full and final settlement of the claim, including any costs. "
    "Payment will be made within 28 days of acceptance."
)
_TOO_MUCH = gettext_lazy("An offer must be under £1,000,000,000.")


def _part(label: str) -> forms.DecimalField:
    wrong = gettext_lazy("Enter an amount in pounds, like 2500 or 2500.50, or leave it empty.")
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0"),
        max_value=AMOUNT_MAX,
        max_digits=12,
        decimal_places=2,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "amount"}),
        error_messages={
            "min_value": gettext_lazy("Enter an amount of £0 or more."),
            "max_value": _TOO_MUCH,
            "max_digits": _TOO_MUCH,
            "max_whole_digits": _TOO_MUCH,
            "max_decimal_places": gettext_lazy("Enter pounds and pence, like 2500.50."),
            "invalid": wrong,
        },
    )


class OfferForm(forms.Form):
    """An offer on `claim`: a past and a future amount for each of its heads of loss (general
    damages and the patient's kinds of loss), the terms, and the date to answer by."""

    terms = forms.CharField(
        label=gettext_lazy("Terms of the offer (the patient sees them)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        required=False,
    )
    respond_by = DateInputField(
        label=gettext_lazy("Answer by"),
        subject=gettext_lazy("The answer-by date"),
        ahead=True,
        required=False,
    )

    def __init__(
        self,
        *args,
        claim: Claim,
        respond_by: datetime.date | None = None,
        previous: Offer | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.heads = offer_heads(claim)
        self.fields["terms"].initial = (previous.terms if previous else "") or DEFAULT_TERMS
        self.fields["respond_by"].initial = respond_by
        self.fields["respond_by"].help_text = _(
            "The offer lapses if the patient has not answered by this date. Left empty, it is "
            "the jurisdiction's usual time to answer from today."
        )
        parts = {}
        for head in self.heads:
            label = HeadOfLoss(head).label
            parts[f"{head}_past"] = _part(_("%(head)s, past amount") % {"head": label})
            parts[f"{head}_future"] = _part(_("%(head)s, future amount") % {"head": label})
        # A revised offer starts from the last one's amounts.
        for part in previous.breakdown if previous else []:
            for when in ("past", "future"):
                if field := parts.get(f"{part['head']}_{when}"):
                    field.initial = part[when] if Decimal(part[when]) else None
        # The amounts come first, in the order the page shows them (and the error summary too).
        self.fields = {**parts, **self.fields}

    @property
    def rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        """(head's label, past field, future field) for each head, for the page's table."""
        return [
            (HeadOfLoss(head).label, self[f"{head}_past"], self[f"{head}_future"])
            for head in self.heads
        ]

    def clean_respond_by(self) -> datetime.date | None:
        respond_by = self.cleaned_data["respond_by"]
        today = timezone.localdate()
        latest = today + datetime.timedelta(days=RESPOND_BY_MAX_DAYS)
        if respond_by and not today < respond_by <= latest:
            raise forms.ValidationError(
                _("Choose an answer-by date after today and within a year.")
            )
        return respond_by

    def clean(self):
        cleaned = super().clean()
        if any(self.has_error(name) for name in self.fields if name.endswith(("_past", "_future"))):
            return cleaned
        total = sum((part["past"] + part["future"] for part in self.breakdown()), Decimal("0"))
        if total <= 0:
            raise forms.ValidationError(
                _("Enter at least one amount: an offer must be more than £0.")
            )
        if total > AMOUNT_MAX:
            raise forms.ValidationError(_TOO_MUCH)
        return cleaned

    def breakdown(self) -> list[dict]:
        """[{"head", "past", "future"}, ...] from the valid input, an empty amount as £0."""
        zero = Decimal("0.00")
        return [
            {
                "head": head,
                "past": self.cleaned_data.get(f"{head}_past") or zero,
                "future": self.cleaned_data.get(f"{head}_future") or zero,
            }
            for head in self.heads
        ]


class AcceptForm(forms.Form):
    understood = forms.BooleanField(
        label=gettext_lazy(
            "I understand that accepting is a full and final settlement of this claim, and that "
            "I cannot claim more for this harm later."
        ),
        error_messages={
            "required": gettext_lazy(
                "Tick the box to confirm you understand that this settles the claim for good."
            )
        },
    )


_REASONS_MAX = 5000


class DeclineForm(forms.Form):
    reasons = forms.CharField(
        label=gettext_lazy("Why are you declining the offer?"),
        help_text=gettext_lazy("The insurer reads this when deciding what to do next."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=_REASONS_MAX,
        error_messages={
            "required": gettext_lazy("Say why you are declining the offer."),
            "max_length": gettext_lazy("Keep your reasons to 5,000 characters or fewer."),
        },
    )


class CounterForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("The amount you propose, in pounds"),
        min_value=Decimal("0.01"),
        max_value=AMOUNT_MAX,
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "amount"}),
        error_messages={
            "required": gettext_lazy("Enter the amount you propose."),
            "min_value": gettext_lazy("Propose an amount of more than £0."),
            "max_value": gettext_lazy("Propose an amount under £1,000,000,000."),
            "max_digits": gettext_lazy("Propose an amount under £1,000,000,000."),
            "max_whole_digits": gettext_lazy("Propose an amount under £1,000,000,000."),
            "max_decimal_places": gettext_lazy("Enter pounds and pence, like 2500.50."),
            "invalid": gettext_lazy("Enter an amount in pounds, like 25000 or 25000.50."),
        },
    )
    reasons = forms.CharField(
        label=gettext_lazy("Why do you propose this amount?"),
        help_text=gettext_lazy("For example, costs the offer leaves out, with what they came to."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=_REASONS_MAX,
        error_messages={
            "required": gettext_lazy("Say why you propose this amount."),
            "max_length": gettext_lazy("Keep your reasons to 5,000 characters or fewer."),
        },
    )
