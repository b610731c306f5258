"""The case pages' part for dates: the patient's side (`{% claim_dates claim %}` on
intake/claim_detail.html) and the staff side (`{% staff_dates claim %}` on triage/claim.html).

Both read the claim's dates in a fixed number of queries (resolution/dates.py); the pages that
call them have already checked, and audited, that the reader may see the claim."""

from django import template

from portal.models import Role
from resolution.dates import Voice, claim_dates_read

register = template.Library()


@register.inclusion_tag("resolution/patient_dates.html", takes_context=True)
def claim_dates(context, claim):
    request = context["request"]
    # An advocate reads of the patient in the third person; the patient reads "you".
    voice = Voice.ADVOCATE if request.user.role == Role.ADVOCATE else Voice.PATIENT
    dates = claim_dates_read(claim, voice=voice)
    return {"claim": claim, "request": request, "items": dates.items}


@register.inclusion_tag("resolution/staff_dates.html", takes_context=True)
def staff_dates(context, claim):
    dates = claim_dates_read(claim, voice=Voice.STAFF)
    return {
        "claim": claim,
        "request": context["request"],
        "items": dates.items,
        "profile": dates.profile,
    }
