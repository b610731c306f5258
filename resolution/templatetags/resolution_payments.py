"""The case pages' part for payments: the patient's side (`{% claim_payments claim %}` on
intake/claim_detail.html) and the staff side (`{% staff_payments claim %}` on triage/claim.html).
Each reads its panel in a fixed number of queries (resolution/payments_selectors.py)."""

from django import template

from resolution import money, payments_selectors
from resolution.payments_forms import PaymentForm, ReserveForm

register = template.Library()


@register.filter
def as_pounds(amount) -> str:
    """£12,500.00, as resolution.money writes amounts."""
    return money.pounds(amount) if amount is not None else ""


@register.inclusion_tag("resolution/patient_payments.html", takes_context=True)
def claim_payments(context, claim):
    request = context["request"]
    panel = payments_selectors.payments_panel_for_patient(user=request.user, claim=claim)
    return {"claim": claim, "request": request, "panel": panel}


@register.inclusion_tag("resolution/staff_payments.html", takes_context=True)
def staff_payments(context, claim):
    request = context["request"]
    panel = payments_selectors.payments_panel_for_staff(user=request.user, claim=claim)
    return {
        "claim": claim,
        "request": request,
        "panel": panel,
        "payment_form": PaymentForm(auto_id="payment-%s"),
        "reserve_form": ReserveForm(auto_id="reserve-%s"),
    }
