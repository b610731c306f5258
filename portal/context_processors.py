"""Template context shared by every page: the role-aware navigation."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.models import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [NavItem(_("Dashboard"), reverse("dashboard"))]
    if user.role == Role.PATIENT:
        items.append(NavItem(_("Your advocates"), reverse("intake:authorities")))
    if user.role == Role.TRIAGE_LEAD:
        items.append(NavItem(_("Routing rules"), reverse("triage:rules")))
    if user.is_insurer_staff:
        items.append(NavItem(_("My queue"), reverse("triage:queue")))
    if user.is_insurer_staff and user.insurer_id:
        items.append(NavItem(_("My insurer"), reverse("insurer_detail", args=[user.insurer_id])))
    if user.role == Role.ADMINISTRATOR:
        items.append(NavItem(_("Administration"), reverse("admin:index")))
    items.append(NavItem(_("Your account"), reverse("account_overview")))
    return {"nav_items": items}
