"""The download of a copy of a patient's data: through the access door (the patient alone,
within its download days), audited, then a short-lived presigned URL to the zip."""

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from privacy.export_access import export_get_for_download
from privacy.export_services import export_download_url


@login_required
@require_GET
def export_download(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    export = export_get_for_download(user=request.user, export_id=export_id)
    return redirect(export_download_url(export=export, user=request.user))
