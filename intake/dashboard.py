"""The page every account lands on after signing in: a patient's claims, an advocate's clients'
claims, the administrator's way into the admin site. Staff go to their own workspace."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from intake.advocates.views import advocate_dashboard_context
from intake.patient_status import patient_status
from intake.selectors import claim_list_for_patient
from portal.models import Role

# Staff land on their own workspace: named by URL, so that intake does not depend on triage.
STAFF_DASHBOARDS = {Role.ADJUSTER: "triage:queue", Role.TRIAGE_LEAD: "triage:lead_workspace"}


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if request.user.role in STAFF_DASHBOARDS:
        return redirect(STAFF_DASHBOARDS[request.user.role])
    context = {}
    if request.user.role == Role.PATIENT:
        context["claims"] = [
            (claim, patient_status(claim.status))
            for claim in claim_list_for_patient(user=request.user)
        ]
    if request.user.role == Role.ADVOCATE:
        context = advocate_dashboard_context(request)
    return render(request, f"intake/dashboard_{request.user.role}.html", context)
