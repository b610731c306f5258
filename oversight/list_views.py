"""The insurer's claims list and its CSV export. Both read the same filters from the query string,
so the export is of exactly the list the person is looking at, every page of it."""

import csv
from collections.abc import Iterator

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from intake.models import Claim
from oversight.filters import ClaimListFilter
from oversight.lists import (
    PAGE_SIZE,
    SORTS,
    Order,
    claims_in_batches,
    claims_list_may_open,
    claims_listable_by,
    claims_page,
)
from portal.models import AuditAction, Role, User
from portal.request_context import RequestOrigin, current_origin, reset_origin, set_origin
from portal.services import audit_event_record, audit_views_record
from resolution.models import Settlement
from triage.views import staff_only

#: Query-string names that move through the list rather than filter it.
PAGING = ("after", "before", "start", "page")
SORTING = ("sort", "dir")


def _filtered(request: HttpRequest) -> tuple[ClaimListFilter, Order]:
    """The filters read from the URL, with forged ones refused (404, audited)."""
    filterset = ClaimListFilter(
        request.GET or None, queryset=claims_listable_by(request.user), user=request.user
    )
    if filterset.is_bound and not filterset.form.is_valid():
        filterset.refuse_forged()
    order = Order.parse(request.GET.get("sort", ""), request.GET.get("dir", ""))
    return filterset, order


def _valid(filterset: ClaimListFilter) -> bool:
    return not filterset.is_bound or filterset.form.is_valid()


def _query(request: HttpRequest, *, keep: tuple[str, ...] = SORTING, **extra) -> str:
    """The query string of the current filters (and `keep`), with `extra` set."""
    query = QueryDict(mutable=True)
    for name, values in request.GET.lists():
        if name not in PAGING and (name not in SORTING or name in keep):
            query.setlist(name, [v for v in values if v != ""])
    for name, value in extra.items():
        query[name] = value
    return query.urlencode()


def _start(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("start", "1"))
    except ValueError:
        return 1


def _column_links(request: HttpRequest, order: Order) -> dict[str, dict]:
    """Each sortable column's header: its link (a click on the current column turns it round)
    and its aria-sort."""
    columns = {}
    for name, sort in SORTS.items():
        current = name == order.sort
        descending = not order.descending if current else sort.descending
        direction = "desc" if descending else "asc"
        columns[name] = {
            "label": sort.label,
            "url": "?" + _query(request, keep=(), sort=name, dir=direction),
            "aria_sort": ("descending" if order.descending else "ascending") if current else "",
        }
    return columns


def _paging_links(request: HttpRequest, page) -> dict[str, str]:
    links = {}
    if page.has_previous:
        links["first"] = "?" + _query(request)
        links["previous"] = "?" + _query(
            request, before=str(page.claims[0].pk), start=str(page.first - PAGE_SIZE)
        )
    if page.has_next:
        links["next"] = "?" + _query(
            request, after=str(page.claims[-1].pk), start=str(page.last + 1)
        )
        links["last"] = "?" + _query(request, page="last")
    return links


@staff_only(claims_list_may_open)
def claims_list(request: HttpRequest) -> HttpResponse:
    filterset, order = _filtered(request)
    page = None
    if _valid(filterset):
        page = claims_page(
            claims=filterset.qs,
            order=order,
            after=request.GET.get("after", ""),
            before=request.GET.get("before", ""),
            last=request.GET.get("page") == "last",
            start=_start(request),
        )
        audit_views_record(
            actor=request.user, objects=page.claims, detail={"page": "oversight claims"}
        )
    context = {
        "filter": filterset,
        "form": filterset.form,
        "page": page,
        "order": order,
        "columns": _column_links(request, order),
        "links": _paging_links(request, page) if page else {},
        "export_url": reverse("oversight:claims_export") + "?" + _query(request),
        "may_open_all": request.user.role == Role.TRIAGE_LEAD,
        "today": timezone.localdate(),
    }
    return render(request, "oversight/claims_list.html", context)


# --- The export ---------------------------------------------------------------------------------

#: The export's columns: what the claim is and where it stands, never what happened to whom (no
#: description, injuries, answers, messages or claimant's name), so it can be shared in-house.
EXPORT_COLUMNS = (
    ("Reference", lambda c: c.reference),
    ("Received", lambda c: _day(c.submitted_at)),
    ("Decided", lambda c: _day(c.decided_at)),
    ("Status", lambda c: c.get_status_display()),
    ("Priority", lambda c: c.get_priority_display()),
    ("Team", lambda c: c.team.name if c.team_id else ""),
    ("Adjuster", lambda c: c.assigned_adjuster.get_full_name() if c.assigned_adjuster_id else ""),
    ("Provider", lambda c: c.provider.name if c.provider_id else ""),
    ("Kind of harm", lambda c: c.get_harm_category_display()),
    ("Severity", lambda c: c.get_severity_display()),
    ("Acknowledge by", lambda c: c.acknowledge_by or ""),
    ("Decide by", lambda c: c.decide_by or ""),
    ("Claimed amount", lambda c: c.claimed_amount if c.claimed_amount is not None else ""),
    ("Settled amount", lambda c: c.settled_amount if c.settled_amount is not None else ""),
)
#: A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _day(moment) -> str:
    return timezone.localdate(moment).isoformat() if moment else ""


def csv_cell(value) -> str:
    """The cell as text, defused when a spreadsheet would read it as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Line:
    """csv.writer's file: hands back each line instead of keeping it."""

    def write(self, line: str) -> str:
        return line


def _with_settled_amount(claims: QuerySet[Claim]) -> QuerySet[Claim]:
    amount = Settlement.objects.filter(claim=OuterRef("pk")).values("amount")[:1]
    return claims.annotate(settled_amount=Subquery(amount, output_field=DecimalField()))


def _export_lines(
    *, user: User, claims: QuerySet[Claim], order: Order, origin: RequestOrigin
) -> Iterator[str]:
    """The CSV a line at a time, a keyset batch of claims at a time, each batch's VIEW rows
    written as it goes out (with the request's `origin`: the response outlives the request)."""
    writer = csv.writer(_Line())
    yield writer.writerow([name for name, _value in EXPORT_COLUMNS])
    for batch in claims_in_batches(claims=_with_settled_amount(claims), order=order):
        token = set_origin(origin)
        try:
            audit_views_record(actor=user, objects=batch, detail={"page": "oversight export"})
        finally:
            reset_origin(token)
        for claim in batch:
            yield writer.writerow([csv_cell(value(claim)) for _name, value in EXPORT_COLUMNS])


@staff_only(claims_list_may_open)
def claims_export(request: HttpRequest) -> HttpResponse:
    filterset, order = _filtered(request)
    if not _valid(filterset):
        # The list shows what is wrong with the filters, with the same URL to correct.
        return redirect(reverse("oversight:claims") + "?" + _query(request))
    claims = filterset.qs
    total = claims.order_by().count()
    audit_event_record(
        action=AuditAction.VIEW,
        actor=request.user,
        object_type="oversight.claims_export",
        object_id="csv",
        detail={
            "export": "csv",
            "filters": filterset.applied(),
            "sort": f"{order.sort} {order.direction}",
            "count": total,
        },
    )
    response = StreamingHttpResponse(
        _export_lines(user=request.user, claims=claims, order=order, origin=current_origin()),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"claims-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
