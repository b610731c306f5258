"""Settlement and payment: where the patient asks to be paid (bank details, encrypted at rest),
the payments the insurer records against the settlement (the claim closes when they cover what
was agreed), and the insurer's reserve, which the patient's side never sees.

Access is checked before any transaction opens, so the audit row of a refusal is kept; the
rules that depend on the claim's state are checked again on the locked claim row.
"""

import datetime
import logging
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake import access
from intake.models import Claim, ClaimStatus
from intake.services import ClaimError, claim_transition
from intake.text import has_visible_text, normalise_text
from notifications.events import EventKind
from notifications.outbox import notification_create_for_event
from portal.access import forbid
from portal.models import AuditAction, User
from portal.services import audit_event_record
from resolution import encryption
from resolution.models import BankDetails, Payment, PaymentMethod, Reserve, Settlement
from resolution.money import PENNY, pounds
from triage.models import AMOUNT_MAX

logger = logging.getLogger(__name__)

#: The reason the history shows when the last payment closes the claim.
PAID_IN_FULL = "Paid in full"
ACCOUNT_NAME_MAX = 140
FINANCE_REFERENCE_MAX = 100
RESERVE_REASON_MAX = 500
#: Statuses in which no reserve is held any more (or yet).
RESERVE_CLOSED = (ClaimStatus.DRAFT, ClaimStatus.CLOSED, ClaimStatus.WITHDRAWN)

# Spaces and the dashes people type or paste between the groups of a sort code.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]")
_DIGITS = {6: re.compile(r"[0-9]{6}"), 8: re.compile(r"[0-9]{8}")}


class PaymentError(ClaimError):
    """A payment, bank details or reserve that cannot be recorded; the message says why, and
    `field` names the form field it is about, if one is."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- Bank details -------------------------------------------------------------------------------


def account_name_clean(value: str) -> str:
    """The name on the account as kept: normalised text, required, at most 140 characters."""
    name = normalise_text(value or "", multiline=False).strip()
    if not has_visible_text(name):
        raise PaymentError(_("Enter the name on the bank account."), field="account_name")
    if len(name) > ACCOUNT_NAME_MAX:
        raise PaymentError(
            _("The name on the account can be at most %(max)d characters.")
            % {"max": ACCOUNT_NAME_MAX},
            field="account_name",
        )
    return name


def sort_code_clean(value: str) -> str:
    """The six digits of a UK sort code, from "30-94-57", "30 94 57" or "309457"."""
    digits = _digits(value)
    if not _DIGITS[6].fullmatch(digits):
        raise PaymentError(_("Enter the sort code as 6 digits, like 30-94-57."), field="sort_code")
    return digits


def account_number_clean(value: str) -> str:
    """The eight digits of a UK account number (spaces allowed)."""
    digits = _digits(value)
    if not _DIGITS[8].fullmatch(digits):
        raise PaymentError(
            _("Enter the account number as 8 digits, like 31926819."), field="account_number"
        )
    return digits


def _digits(value: str) -> str:
    # NFKC turns full-width and other compatibility digits into 0-9; other scripts' digits stay
    # and are refused, since the regular expressions accept ASCII digits only.
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value or ""))


def bank_details_refusal(*, status: str, paid_anything: bool) -> str | None:
    """Why bank details cannot be given (or replaced) on a claim in `status` now, or None when
    they can. A payment already recorded fixes them: the money went there."""
    if status == ClaimStatus.CLOSED:
        return _("This claim is closed, so its bank details can no longer be changed.")
    if status != ClaimStatus.SETTLED:
        return _("You can give your bank details once an offer has been accepted.")
    if paid_anything:
        return _(
            "A payment has already been made to the bank details you gave, so they cannot be "
            "changed here. Send your claims handler a message if they need to change."
        )
    return None


def bank_details_give_refusal(*, claim: Claim) -> str | None:
    """bank_details_refusal for `claim`, looking up whether anything has been paid."""
    paid_anything = (
        claim.status == ClaimStatus.SETTLED
        and Payment.objects.filter(settlement__claim_id=claim.pk).exists()
    )
    return bank_details_refusal(status=claim.status, paid_anything=paid_anything)


def bank_details_give_allowed(*, user: User, claim: Claim) -> None:
    """Refuse (403, audited) anyone but the patient or an advocate allowed to answer offers."""
    if not access.claim_may_answer_for_patient(user, claim):
        forbid(
            user=user,
            object_type="intake.claim",
            object_id=claim.pk,
            reason="bank details",
            message=_(
                "Only the patient, or an advocate they have allowed to answer offers, can give "
                "bank details."
            ),
        )


def bank_details_give(
    *, claim: Claim, user: User, account_name: str, sort_code: str, account_number: str
) -> BankDetails:
    """Keep, encrypted, the account the patient asks to be paid into; replaces earlier details
    until a payment is recorded. For the patient, or an advocate allowed to answer offers."""
    bank_details_give_allowed(user=user, claim=claim)
    values = {
        "account_name_encrypted": encryption.encrypt(account_name_clean(account_name)),
        "sort_code_encrypted": encryption.encrypt(sort_code_clean(sort_code)),
        "account_number_encrypted": encryption.encrypt(account_number_clean(account_number)),
    }
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if refusal := bank_details_give_refusal(claim=locked):
            raise PaymentError(refusal)
        details, created = BankDetails.objects.update_or_create(
            claim=locked, defaults={**values, "given_by": user, "given_at": timezone.now()}
        )
        audit_event_record(
            action=AuditAction.CREATE if created else AuditAction.CHANGE,
            actor=user,
            obj=details,
            detail={"bank_details": "given" if created else "replaced"},
        )
    return details


UNREADABLE = gettext_lazy(
    "These bank details cannot be read with the encryption keys configured now. Ask an "
    "administrator to put the previous key back in BANK_DETAILS_KEYS, or ask the patient to give "
    "them again."
)


@dataclass(frozen=True)
class ShownBankDetails:
    account_name: str
    sort_code: str
    account_number: str
    given_at: datetime.datetime
    #: False when no configured key decrypts them (a key removed before rotation finished).
    readable: bool = True


def bank_details_masked(details: BankDetails) -> ShownBankDetails:
    """What pages show: the name's initial, the last four digits of the account number and the
    last two of the sort code ("J****", "****5678", "**-**-56")."""
    try:
        name = encryption.decrypt(details.account_name_encrypted)
        sort_code = encryption.decrypt(details.sort_code_encrypted)
        number = encryption.decrypt(details.account_number_encrypted)
    except encryption.BankDetailsUnreadable:
        # The page still answers; the claim's id (never a value) tells operations which row.
        logger.error("The bank details of claim %s cannot be decrypted.", details.claim_id)
        return ShownBankDetails("", "", "", details.given_at, readable=False)
    return ShownBankDetails(
        account_name=f"{name[:1]}****",
        sort_code=f"**-**-{sort_code[-2:]}",
        account_number=f"****{number[-4:]}",
        given_at=details.given_at,
    )


def bank_details_reveal(*, claim: Claim, user: User) -> ShownBankDetails:
    """The bank details in clear, for the insurer's staff on the claim, to make the payment;
    every reveal is audited (never with the values)."""
    if not access.claim_may_work(user, claim):
        forbid(user=user, object_type="intake.claim", object_id=claim.pk, reason="bank details")
    details = BankDetails.objects.filter(claim_id=claim.pk).first()
    if details is None:
        raise PaymentError(_("The patient has not given bank details for this claim yet."))
    try:
        sort_code = encryption.decrypt(details.sort_code_encrypted)
        shown = ShownBankDetails(
            account_name=encryption.decrypt(details.account_name_encrypted),
            sort_code=f"{sort_code[0:2]}-{sort_code[2:4]}-{sort_code[4:6]}",
            account_number=encryption.decrypt(details.account_number_encrypted),
            given_at=details.given_at,
        )
    except encryption.BankDetailsUnreadable as error:
        raise PaymentError(str(UNREADABLE)) from error
    audit_event_record(
        action=AuditAction.VIEW, actor=user, obj=claim, detail={"bank_details": "revealed"}
    )
    return shown


def bank_details_view_record(*, claim: Claim, user: User) -> None:
    """Record that a page showed `user` the claim's bank details masked."""
    audit_event_record(
        action=AuditAction.VIEW, actor=user, obj=claim, detail={"bank_details": "masked"}
    )


_ENCRYPTED_FIELDS = ("account_name_encrypted", "sort_code_encrypted", "account_number_encrypted")


def bank_details_rotate(*, batch_size: int = 200) -> int:
    """Encrypt every row's bank details again with the first key of BANK_DETAILS_KEYS (after a
    new key is put first); returns the number of rows. Each row is locked while it changes."""
    ids = list(BankDetails.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            batch = ids[start : start + batch_size]
            rows = BankDetails.objects.select_for_update().filter(pk__in=batch)
            for row in rows:
                for field in _ENCRYPTED_FIELDS:
                    setattr(row, field, encryption.reencrypt(getattr(row, field)))
                row.save(update_fields=list(_ENCRYPTED_FIELDS))
    return len(ids)


# --- Payments -----------------------------------------------------------------------------------


def settlement_paid(*, settlement: Settlement) -> Decimal:
    """What the payments recorded against `settlement` add up to."""
    total = settlement.payments.aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0.00")


def payment_record(
    *,
    settlement: Settlement,
    adjuster: User,
    amount: Decimal,
    paid_on: datetime.date,
    method: str,
    finance_reference: str,
) -> Payment:
    """Record a payment the insurer's finance system made against `settlement`; the payment
    that covers what was agreed closes the claim (the portal's move, "Paid in full"), in the
    same transaction. The patient's side is told a payment was made (never the amount)."""
    claim = settlement.claim
    if not access.claim_may_work(adjuster, claim):
        forbid(user=adjuster, object_type="intake.claim", object_id=claim.pk, reason="payment")
    reference = _payment_details_check(
        settlement=settlement,
        amount=amount,
        paid_on=paid_on,
        method=method,
        finance_reference=finance_reference,
    )
    with transaction.atomic():
        # The claim's row serialises payments (and bank details changes): two people recording
        # the last payment at once cannot both pay what is outstanding.
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if locked.status != ClaimStatus.SETTLED:
            raise PaymentError(
                _("Payments can be recorded only while the claim is settled; it is now “%(s)s”.")
                % {"s": ClaimStatus(locked.status).label}
            )
        outstanding = settlement.amount - settlement_paid(settlement=settlement)
        if amount > outstanding:
            raise PaymentError(
                _("That is more than is still owed: %(outstanding)s is outstanding.")
                % {"outstanding": pounds(outstanding)},
                field="amount",
            )
        if settlement.payments.filter(finance_reference=reference).exists():
            raise _duplicate_reference(reference)
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    settlement=settlement,
                    amount=amount,
                    paid_on=paid_on,
                    method=method,
                    finance_reference=reference,
                    recorded_by=adjuster,
                )
        except IntegrityError as error:
            raise _duplicate_reference(reference) from error
        audit_event_record(
            action=AuditAction.CREATE, actor=adjuster, obj=payment, detail={"claim": str(claim.pk)}
        )
        notification_create_for_event(
            kind=EventKind.PAYMENT_MADE,
            event_key=f"payment:{payment.pk}",
            claim=locked,
            actor=adjuster,
        )
        if amount == outstanding:
            claim_transition(
                claim=locked, to_status=ClaimStatus.CLOSED, actor=None, reason=PAID_IN_FULL
            )
    claim.status = locked.status
    return payment


def _payment_details_check(
    *,
    settlement: Settlement,
    amount: Decimal,
    paid_on: datetime.date,
    method: str,
    finance_reference: str,
) -> str:
    """Check what does not depend on other payments; returns the finance reference as kept."""
    if amount is None or amount <= 0:
        raise PaymentError(_("Enter the amount paid, more than £0.00."), field="amount")
    if amount != amount.quantize(PENNY) or amount > AMOUNT_MAX:
        raise PaymentError(_("Enter the amount in pounds and pence, like 2500.50."), field="amount")
    if paid_on > timezone.localdate():
        raise PaymentError(_("The date paid cannot be in the future."), field="paid_on")
    agreed_on = timezone.localdate(settlement.agreed_at)
    if paid_on < agreed_on:
        raise PaymentError(
            _("The date paid cannot be before the settlement was agreed, on %(date)s.")
            % {"date": date_format(agreed_on, "j F Y")},
            field="paid_on",
        )
    if method not in PaymentMethod.values:
        raise PaymentError(_("Choose how the payment was made."), field="method")
    reference = normalise_text(finance_reference or "", multiline=False).strip()
    if not has_visible_text(reference):
        raise PaymentError(
            _("Enter the finance system's reference for this payment."), field="finance_reference"
        )
    if len(reference) > FINANCE_REFERENCE_MAX:
        raise PaymentError(
            _("The finance reference can be at most %(max)d characters.")
            % {"max": FINANCE_REFERENCE_MAX},
            field="finance_reference",
        )
    return reference


def _duplicate_reference(reference: str) -> PaymentError:
    return PaymentError(
        _(
            "A payment with the finance reference “%(reference)s” is already recorded on this "
            "claim. Check whether it is the same payment, or enter its own reference."
        )
        % {"reference": reference},
        field="finance_reference",
    )


# --- Reserve ------------------------------------------------------------------------------------


def reserve_set(*, claim: Claim, adjuster: User, amount: Decimal, reason: str) -> Reserve:
    """Set the insurer's reserve on an open claim, with the reason; earlier reserves stay as
    the history (the latest is the current one). Never shown to the patient's side."""
    if not access.claim_may_work(adjuster, claim):
        forbid(user=adjuster, object_type="intake.claim", object_id=claim.pk, reason="reserve")
    if amount is None or amount < 0 or amount > AMOUNT_MAX or amount != amount.quantize(PENNY):
        raise PaymentError(
            _("Enter a reserve in pounds from 0 to 999,999,999.99, like 25000."), field="amount"
        )
    reason = normalise_text(reason or "", multiline=False).strip()
    if not has_visible_text(reason):
        raise PaymentError(_("Give the reason for the reserve."), field="reason")
    if len(reason) > RESERVE_REASON_MAX:
        raise PaymentError(
            _("Keep the reason to %(max)d characters or fewer.") % {"max": RESERVE_REASON_MAX},
            field="reason",
        )
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if locked.status in RESERVE_CLOSED:
            raise PaymentError(
                _("A reserve can be set only while the claim is open; it is now “%(s)s”.")
                % {"s": ClaimStatus(locked.status).label}
            )
        reserve = Reserve.objects.create(
            claim=locked, amount=amount, reason=reason, set_by=adjuster
        )
        audit_event_record(action=AuditAction.CREATE, actor=adjuster, obj=reserve)
    return reserve
