"""The case pages' part for dates: the patient's side (`{% claim_dates claim %}` on
intake/claim_detail.html) and the staff side (`{% staff_dates claim %}` on triage/claim.html)."""

from django import template

register = template.Library()


@register.inclusion_tag("resolution/patient_dates.html", takes_context=True)
def claim_dates(context, claim):
    return {"claim": claim, "request": context["request"]}


@register.inclusion_tag("resolution/staff_dates.html", takes_context=True)
def staff_dates(context, claim):
    return {"claim": claim, "request": context["request"]}
