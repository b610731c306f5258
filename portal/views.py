"""Pages of the portal app: the front page, the role-aware dashboard, an insurer, health."""

import uuid

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from intake.authority_views import advocate_dashboard_context
from intake.patient_status import patient_status
from intake.selectors import claim_list_for_patient
from portal import access, health
from portal.models import Role
from portal.selectors import insurer_get_for_user


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "portal/home.html")


# Staff land on their own workspace.
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
    return render(request, f"portal/dashboard_{request.user.role}.html", context)


@login_required
def insurer_detail(request: HttpRequest, insurer_id: uuid.UUID) -> HttpResponse:
    insurer = insurer_get_for_user(user=request.user, insurer_id=insurer_id)
    return render(request, "portal/insurer_detail.html", {"insurer": insurer})


def admin_login(request: HttpRequest, extra_context=None) -> HttpResponse:
    """The admin signs in through the portal's own login, so MFA and rate limits apply."""
    if not request.user.is_authenticated:
        return redirect_to_login(_admin_next(request))
    if not access.may_use_admin_site(request.user):
        access.forbid(user=request.user, object_type="admin_site", reason="not an administrator")
    return redirect(_admin_next(request))


def _admin_next(request: HttpRequest) -> str:
    """Where to go after signing in: a safe `next` inside the admin, else the admin's index."""
    target = request.GET.get("next", "")
    admin_root = reverse("admin:index")
    if (
        target.startswith(admin_root)
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and not target.startswith(reverse("admin:login"))
    ):
        return target
    return admin_root


@never_cache
@require_GET
def health_view(request: HttpRequest) -> JsonResponse:
    results = health.run_checks()
    healthy = all(result.ok for result in results.values())
    body = {
        "status": "ok" if healthy else "failing",
        "checks": {
            name: {"ok": result.ok, "detail": result.detail} for name, result in results.items()
        },
    }
    return JsonResponse(body, status=200 if healthy else 503)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent after its page expired: explain and offer the way back, in plain words."""
    return render(request, "403_csrf.html", status=403)
