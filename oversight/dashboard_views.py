"""The oversight dashboard: the page with every figure's table, and each chart as an SVG image.

Views parse the period with PeriodForm, read the figures (oversight.dashboard) and render. The
page records one VIEW audit row on the insurer whose book it summarises, as the portal does for
the insurer's page (portal.views): it shows counts, never a claim, so there is no row per claim.
The chart images show the same counts as the page's tables and leave no row of their own.
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from oversight.charts import CHART_POLICY, chart_svg
from oversight.dashboard import FIGURES, Scope, dashboard_figure, dashboard_figures
from oversight.dashboard_access import oversight_chooses_insurer, oversight_may_open
from oversight.dashboard_forms import PeriodForm
from portal.access import forbid
from portal.models import AuditAction
from portal.services import audit_event_record


def oversight_only(view):
    """Triage leads and administrators reach the view; anyone else is refused (403), audited."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if not oversight_may_open(request.user):
            forbid(
                user=request.user,
                object_type="oversight",
                reason="not a triage lead or administrator",
                message=_("The dashboard and the learning reports are for triage leads."),
            )
        return view(request, *args, **kwargs)

    return wrapped


def period_choice(request: HttpRequest, *, with_team: bool = True, default=None):
    """(form, scope or None, query string for links that keep the choice)."""
    today = timezone.localdate()
    form = PeriodForm(
        request.GET, user=request.user, today=today, with_team=with_team, default=default
    )
    insurer, team, period = form.choice()
    scope = None if insurer is None else Scope(insurer, period, today, team)
    query = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    if team is not None:
        query["team"] = team.pk
    if insurer is not None and oversight_chooses_insurer(request.user):
        query["insurer"] = insurer.pk
    return form, scope, urlencode(query)


def scope_detail(scope: Scope, page: str) -> dict:
    """What an audit row says of the figures asked for: identifiers and dates only."""
    return {
        "page": page,
        "from": scope.period.start.isoformat(),
        "to": scope.period.end.isoformat(),
        "team": scope.team.pk if scope.team else None,
    }


@oversight_only
def dashboard(request: HttpRequest) -> HttpResponse:
    form, scope, query = period_choice(request)
    context = {"form": form, "scope": scope, "query": query, "figures": []}
    if scope is not None:
        context["figures"] = dashboard_figures(scope=scope)
        audit_event_record(
            action=AuditAction.VIEW,
            actor=request.user,
            obj=scope.insurer,
            detail=scope_detail(scope, "dashboard"),
        )
    return render(request, "oversight/dashboard.html", context)


@oversight_only
def dashboard_chart(request: HttpRequest, key: str) -> HttpResponse:
    if key not in FIGURES:
        raise Http404
    _form, scope, _query = period_choice(request)
    if scope is None:
        raise Http404
    response = HttpResponse(
        chart_svg(dashboard_figure(scope=scope, key=key)), content_type="image/svg+xml"
    )
    # Its own policy (see oversight.charts): only its inline styles; the middleware keeps a
    # header a view has set.
    response.headers["Content-Security-Policy"] = CHART_POLICY
    response.headers["Cache-Control"] = "private, no-store"
    return response
