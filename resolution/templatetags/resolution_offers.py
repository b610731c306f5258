"""The case pages' part for offers: the patient's side (`{% claim_offers claim %}` on
intake/claim_detail.html) and the staff side (`{% staff_offers claim %}` on triage/claim.html)."""

from django import template

register = template.Library()


@register.inclusion_tag("resolution/patient_offers.html", takes_context=True)
def claim_offers(context, claim):
    return {"claim": claim, "request": context["request"]}


@register.inclusion_tag("resolution/staff_offers.html", takes_context=True)
def staff_offers(context, claim):
    return {"claim": claim, "request": context["request"]}
