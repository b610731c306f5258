"""The notification centre and preferences. Views parse, call a selector or service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from notifications import selectors, services
from notifications.emails import case_path
from notifications.events import EVENTS, EventKind, is_mandatory, kinds_for_role
from notifications.models import Channel

CENTRE_SIZE = 50


@login_required
def centre(request: HttpRequest) -> HttpResponse:
    """The person's notifications, newest first, CENTRE_SIZE to a page, with the total."""
    pages = Paginator(selectors.notifications_for_user(user=request.user), CENTRE_SIZE)
    page = pages.get_page(request.GET.get("page"))
    notifications = list(page.object_list)
    entries = [
        (n, case_path(user=request.user, claim_id=n.claim_id) if n.claim_id else None)
        for n in notifications
    ]
    context = {
        "entries": entries,
        "page": page,
        "any_unread": selectors.notifications_for_user(user=request.user)
        .filter(read_at__isnull=True)
        .exists(),
    }
    return render(request, "notifications/centre.html", context)


def _back_to_centre(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:centre")


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    services.notification_mark_read(user=request.user, notification_id=notification_id)
    return _back_to_centre(request)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d notification marked as read.",
            "%(count)d notifications marked as read.",
            count,
        )
        % {"count": count},
    )
    return redirect("notifications:centre")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        enabled = {
            (kind, channel)
            for kind in kinds_for_role(user.role)
            for channel in Channel.values
            if request.POST.get(f"{kind}:{channel}") == "on"
        }
        digest = request.POST.get("digest") == "on" if user.is_insurer_staff else None
        services.notification_preferences_save(user=user, enabled=enabled, digest=digest)
        messages.success(request, _("Your notification choices have been saved."))
        return redirect("notifications:preferences")
    current = selectors.notification_preferences_for_user(user=user)
    rows = [
        {
            "kind": kind,
            "label": EventKind(kind).label,
            "title": next(iter(EVENTS[kind].titles.values())),
            "mandatory": is_mandatory(kind, user.role),
            "channels": [
                {"name": f"{kind}:{channel}", "label": label, "on": current[(kind, channel)]}
                for channel, label in Channel.choices
            ],
        }
        for kind in kinds_for_role(user.role)
    ]
    return render(
        request,
        "notifications/preferences.html",
        {
            "rows": rows,
            "channels": Channel.choices,
            "offers_digest": user.is_insurer_staff,
            "digest": selectors.notification_digest_enabled(user=user),
        },
    )
