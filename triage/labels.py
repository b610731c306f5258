"""The staff claim page's words for the claimant and the claimant's answers.

The patient's own pages ask "When did you find out?"; an adjuster reads the same answers about
someone else, so the staff page names them in the third person. One mapping per section, keyed
by the claim's field names, so the words live here and nowhere else.
"""

from django.utils.translation import gettext_lazy as _

# Who the claimant is: their name, and the "About you" answers.
CLAIMANT_LABELS = {
    "name": _("Name"),
    "date_of_birth": _("Date of birth"),
    "phone": _("Phone number"),
    "address": _("Postal address"),
    "nhs_number": _("NHS or insurance number"),
}

# What the claimant told the insurer about the harm.
ANSWER_LABELS = {
    "submitted_at": _("Date the claim was sent"),
    "provider": _("Care provider"),
    "incident_date": _("Date of the incident"),
    "knowledge_date": _("Date the claimant found out"),
    "harm_category": _("Kind of harm"),
    "description": _("What the claimant says happened"),
    "severity": _("How serious the claimant says it is"),
    "injuries": _("The claimant's injuries or illness"),
    "ongoing_treatment": _("Is the claimant still having treatment?"),
    "losses": _("Losses the claimant lists"),
    "time_off_work_days": _("Days the claimant was off work"),
}

STAFF_LABELS = {"claimant": CLAIMANT_LABELS, "answers": ANSWER_LABELS}
