"""Pages of the portal app: the front page, an insurer, the admin's sign-in, the CSRF page."""

import uuid

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from portal import access
from portal.selectors import insurer_get_for_user


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "portal/home.html")


@login_required
def insurer_detail(request: HttpRequest, insurer_id: uuid.UUID) -> HttpResponse:
    insurer = insurer_get_for_user(user=request.user, insurer_id=insurer_id)
    return render(request, "portal/insurer_detail.html", {"insurer": insurer})


def admin_login(request: HttpRequest, extra_context=None) -> HttpResponse:
    """The admin signs in through the portal's own login, so MFA and rate limits apply."""
    if not request.user.is_authenticated:
        return redirect_to_login(_admin_next(request))
    if not access.admin_site_may_use(request.user):
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


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent after its page expired: explain and offer the way back, in plain words."""
    return render(request, "403_csrf.html", status=403)
