"""The portal's privacy notice: public, in plain words, with the retention table as the settings
make it."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from privacy.retention import retention_schedule


def notice(request: HttpRequest) -> HttpResponse:
    context = {
        "controller_name": settings.PRIVACY_CONTROLLER_NAME,
        "controller_contact": settings.PRIVACY_CONTROLLER_CONTACT,
        "schedule": retention_schedule(),
        "retention_years": settings.PRIVACY_CLAIM_RETENTION_YEARS,
    }
    return render(request, "privacy/notice.html", context)
