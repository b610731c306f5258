"""The staff claim page's privacy part (`{% claim_holds claim %}` on triage/claim.html): the
legal holds on the claim, for the triage leads of its insurer (with the forms to place and lift
them), and the history of the claimant's contact corrections, for the insurer's staff on the
claim. A fixed number of queries however many rows; the page that calls it has already checked,
and audited, that the reader may see the claim and who the claimant is."""

from django import template

from intake.access import claim_may_work
from privacy.holds import claim_holds_read
from privacy.retention_models import ContactCorrection

register = template.Library()


@register.inclusion_tag("privacy/staff_holds.html", takes_context=True)
def claim_holds(context, claim):
    user = context["request"].user
    may_work = claim_may_work(user, claim)
    corrections = (
        list(
            ContactCorrection.objects.filter(claim=claim)
            .select_related("corrected_by")
            .order_by("-corrected_at", "-id")
        )
        if may_work
        else []
    )
    return {
        "claim": claim,
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "holds": claim_holds_read(user=user, claim=claim),
        "corrections": corrections,
        "may_work": may_work,
    }
