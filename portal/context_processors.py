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
    items = [
        NavItem(_("Dashboard"), reverse("dashboard")),
        *_role_items(user),
        NavItem(_("Your account"), reverse("account_overview")),
    ]
    return {"nav_items": items}


def _role_items(user) -> list[NavItem]:
    """The pages of each role, by URL name: the apps they live in sit above portal."""
    items = []
    if user.role == Role.PATIENT:
        items += [
            NavItem(_("Your advocates"), reverse("intake:authorities")),
            NavItem(_("Your data"), reverse("privacy:your_data")),
        ]
    if user.is_insurer_staff:
        items += [
            NavItem(_("My queue"), reverse("triage:queue")),
            NavItem(_("Claims"), reverse("oversight:claims")),
        ]
    if user.role in (Role.TRIAGE_LEAD, Role.ADMINISTRATOR):
        items += [
            NavItem(_("Figures"), reverse("oversight:dashboard")),
            NavItem(_("Learning from claims"), reverse("oversight:learning")),
        ]
    if user.role == Role.TRIAGE_LEAD:
        items.append(NavItem(_("Routing rules"), reverse("triage:rules")))
    if user.is_insurer_staff and user.insurer_id:
        items.append(NavItem(_("My insurer"), reverse("insurer_detail", args=[user.insurer_id])))
    if user.role == Role.ADMINISTRATOR:
        items.append(NavItem(_("Administration"), reverse("admin:index")))
    return items
