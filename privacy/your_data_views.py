"""The patient's "Your data" page: what the portal holds about them, their requests for a copy
and where each stands, and the button that asks for one."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from portal.access import forbid
from portal.models import AuditAction
from portal.services import audit_event_record
from privacy import export_selectors
from privacy.export_access import your_data_may_open
from privacy.export_services import ExportError, export_request_create

#: What each count on the page is, in the patient's words.
HELD_LABELS = {
    "claims": gettext_lazy("Claims you have sent"),
    "drafts": gettext_lazy("Claims you have started and not sent"),
    "documents": gettext_lazy("Documents and letters on your claims"),
    "messages": gettext_lazy("Messages with your claims handler"),
    "authorities": gettext_lazy("Advocates you have invited or given authority to"),
    "notifications": gettext_lazy("Notifications we have sent you"),
}


def _patients_only(request: HttpRequest) -> None:
    if not your_data_may_open(request.user):
        forbid(
            user=request.user,
            object_type="privacy.your_data",
            reason="not a patient",
            message=_(
                "This page is for patients: it shows what the portal holds about them. If you "
                "act for a patient, they can ask for a copy of their data themselves."
            ),
        )


@login_required
@require_GET
def your_data(request: HttpRequest) -> HttpResponse:
    _patients_only(request)
    patient = request.user
    held = export_selectors.your_data_held(patient=patient)
    exports = list(export_selectors.export_list_for_patient(patient=patient))
    audit_event_record(
        action=AuditAction.VIEW, actor=patient, obj=patient, detail={"page": "your data"}
    )
    return render(
        request,
        "privacy/your_data.html",
        {
            "held": [(HELD_LABELS[kind], count) for kind, count in held],
            "exports": exports,
            "preparing": any(export.state == "requested" for export in exports),
            "now": timezone.now(),
            "export_days": settings.PRIVACY_EXPORT_DAYS,
        },
    )


@login_required
@require_POST
def export_ask(request: HttpRequest) -> HttpResponse:
    _patients_only(request)
    try:
        export_request_create(patient=request.user, requested_by=request.user)
    except ExportError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _(
                "Thank you. We are preparing a copy of your data and will email you when it is "
                "ready to download."
            ),
        )
    return redirect("privacy:your_data")
