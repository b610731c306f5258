"""Reads for settlement and payment: the panels of the case pages, each in a fixed number of
queries however many payments or reserves a claim has, and the lookups of the payment pages.

A panel that shows bank details (masked) records that view in the audit log."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from intake import access
from intake.models import Claim, ClaimStatus
from portal.models import User
from resolution import payments
from resolution.models import BankDetails, Payment, Reserve, Settlement


@dataclass(frozen=True)
class PaymentsPanel:
    """What a case page shows of a claim's settlement and payments."""

    settlement: Settlement | None
    payments: list[Payment]
    paid: Decimal
    outstanding: Decimal
    #: The date of the payment that completed the settlement, once paid in full.
    paid_in_full_on: datetime.date | None
    bank_details: payments.ShownBankDetails | None
    #: Why bank details cannot be given now, or None; only for those who may give them.
    bank_details_refusal: str | None = None
    may_give_bank_details: bool = False
    # The insurer's side only.
    may_work: bool = False
    may_record_payment: bool = False
    reserves: list[Reserve] = field(default_factory=list)
    may_set_reserve: bool = False

    @property
    def reserve(self) -> Reserve | None:
        return self.reserves[0] if self.reserves else None


def settlement_for_claim(*, claim: Claim) -> Settlement | None:
    """The claim's settlement with its payments (oldest first), or None before one is agreed."""
    recorded = Payment.objects.select_related("recorded_by").order_by("paid_on", "pk")
    return (
        Settlement.objects.filter(claim_id=claim.pk)
        .prefetch_related(Prefetch("payments", queryset=recorded, to_attr="payments_made"))
        .first()
    )


def payments_panel_for_patient(*, user: User, claim: Claim) -> PaymentsPanel | None:
    """The patient's side of the panel: what was agreed and paid, and the bank details (masked)
    for those who may give them. None while there is no settlement. Never the reserve."""
    settlement = settlement_for_claim(claim=claim)
    if settlement is None:
        return None
    may_give = access.claim_may_answer_for_patient(user, claim)
    details = _bank_details(claim=claim, user=user) if may_give else None
    refusal = payments.bank_details_refusal(
        status=claim.status, paid_anything=bool(settlement.payments_made)
    )
    return _panel(
        settlement,
        bank_details=details,
        may_give_bank_details=may_give and refusal is None,
        bank_details_refusal=refusal,
    )


def payments_panel_for_staff(*, user: User, claim: Claim) -> PaymentsPanel:
    """The insurer's side: the settlement, what is outstanding, the payments, the bank details
    masked, and the reserve with its history (newest first)."""
    may_work = access.claim_may_work(user, claim)
    if not may_work:
        return PaymentsPanel(None, [], Decimal("0.00"), Decimal("0.00"), None, None)
    settlement = settlement_for_claim(claim=claim)
    reserves = list(Reserve.objects.filter(claim_id=claim.pk).select_related("set_by"))
    details = _bank_details(claim=claim, user=user)
    common = {
        "bank_details": details,
        "may_work": True,
        "reserves": reserves,
        "may_set_reserve": claim.status not in payments.RESERVE_CLOSED,
    }
    if settlement is None:
        return PaymentsPanel(None, [], Decimal("0.00"), Decimal("0.00"), None, **common)
    return _panel(settlement, may_record_payment=claim.status == ClaimStatus.SETTLED, **common)


def _panel(settlement: Settlement, **extra) -> PaymentsPanel:
    made = settlement.payments_made
    paid = sum((payment.amount for payment in made), Decimal("0.00"))
    outstanding = max(settlement.amount - paid, Decimal("0.00"))
    return PaymentsPanel(
        settlement=settlement,
        payments=made,
        paid=paid,
        outstanding=outstanding,
        paid_in_full_on=made[-1].paid_on if made and outstanding == 0 else None,
        **extra,
    )


def _bank_details(*, claim: Claim, user: User) -> payments.ShownBankDetails | None:
    details = BankDetails.objects.filter(claim_id=claim.pk).first()
    if details is None:
        return None
    payments.bank_details_view_record(claim=claim, user=user)
    return payments.bank_details_masked(details)


def bank_details_masked_for(*, claim: Claim, user: User) -> payments.ShownBankDetails | None:
    """The claim's bank details masked, recording the view; None when none were given."""
    return _bank_details(claim=claim, user=user)
