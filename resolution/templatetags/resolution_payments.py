"""The case pages' part for payments: the patient's side (`{% claim_payments claim %}` on
intake/claim_detail.html) and the staff side (`{% staff_payments claim %}` on triage/claim.html)."""

from django import template

register = template.Library()


@register.inclusion_tag("resolution/patient_payments.html", takes_context=True)
def claim_payments(context, claim):
    return {"claim": claim, "request": context["request"]}


@register.inclusion_tag("resolution/staff_payments.html", takes_context=True)
def staff_payments(context, claim):
    return {"claim": claim, "request": context["request"]}
