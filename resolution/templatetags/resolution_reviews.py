"""The case pages' part for reviews: the patient's side (`{% claim_review claim %}` on
intake/claim_detail.html) and the staff side (`{% staff_review claim %}` on triage/claim.html)."""

from django import template

register = template.Library()


@register.inclusion_tag("resolution/patient_review.html", takes_context=True)
def claim_review(context, claim):
    return {"claim": claim, "request": context["request"]}


@register.inclusion_tag("resolution/staff_review.html", takes_context=True)
def staff_review(context, claim):
    return {"claim": claim, "request": context["request"]}
