"""The service's own pages every page's footer links to: help, contact and the accessibility
statement. Public: people need them before they can sign in."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def _contact() -> dict:
    return {
        "email": settings.SERVICE_CONTACT_EMAIL,
        "phone": settings.SERVICE_CONTACT_PHONE,
        "hours": settings.SERVICE_CONTACT_HOURS,
    }


def help_page(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/pages/help.html", {"contact": _contact()})


def contact(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/pages/contact.html", {"contact": _contact()})


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/pages/accessibility.html", {"contact": _contact()})
