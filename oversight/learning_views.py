"""Learning from claims: the insurer's trends page, and a provider's report as PDF or CSV.

The report is drawn in the request: it reads a few grouped counts and WeasyPrint draws two or
three pages in about a tenth of a second (bench: learning_report_seconds_100k), well under the
second a download may take. Letters are drawn by workers because a move must never wait on one;
a report is what the lead asked for and waits for. Making one is audited (actor, provider,
period, format), never its content.
"""

import csv
import datetime
import io

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from oversight.dashboard import Period
from oversight.dashboard_views import oversight_only, period_choice, scope_detail
from oversight.learning import (
    COLUMNS,
    SMALL,
    SUPPRESSED,
    ProviderReport,
    insurer_learning,
    provider_report,
    providers_of,
)
from portal.access import refuse
from portal.models import AuditAction, Provider
from portal.services import audit_event_record

LANGUAGE = "en-gb"
FORMATS = ("pdf", "csv")


def _default_period() -> Period:
    """A year, today included: long enough for trends by month."""
    today = timezone.localdate()
    return Period(today - datetime.timedelta(days=364), today)


@oversight_only
def learning(request: HttpRequest) -> HttpResponse:
    form, scope, query = period_choice(request, with_team=False, default=_default_period())
    context = {"form": form, "scope": scope, "query": query, "learning": None}
    context.update(columns=COLUMNS, small=SMALL, suppressed=SUPPRESSED)
    if scope is not None:
        context["learning"] = insurer_learning(insurer=scope.insurer, period=scope.period)
        audit_event_record(
            action=AuditAction.VIEW,
            actor=request.user,
            obj=scope.insurer,
            detail=scope_detail(scope, "learning"),
        )
    return render(request, "oversight/learning.html", context)


@oversight_only
def learning_report(request: HttpRequest) -> HttpResponse:
    _form, scope, _query = period_choice(request, with_team=False, default=_default_period())
    kind = request.GET.get("format", "pdf")
    provider = _provider(request, scope)
    if kind not in FORMATS:
        refuse(user=request.user, object_type="oversight.report", object_id=kind, reason="format")
    report = provider_report(insurer=scope.insurer, provider=provider, period=scope.period)
    audit_event_record(
        action=AuditAction.CREATE,
        actor=request.user,
        obj=provider,
        detail={
            "report": "learning",
            "format": kind,
            "insurer": str(scope.insurer.pk),
            "from": scope.period.start.isoformat(),
            "to": scope.period.end.isoformat(),
        },
    )
    if kind == "csv":
        return _download(report_csv(report), "text/csv; charset=utf-8", f"{report.file_stem}.csv")
    return _download(report_pdf(report), "application/pdf", f"{report.file_stem}.pdf")


def _provider(request: HttpRequest, scope) -> Provider:
    """The provider asked for, if the insurer covers it; 404 (audited) for any other value."""
    raw = request.GET.get("provider", "")
    if scope is not None and raw.isdigit():
        for provider in providers_of(scope.insurer):
            if provider.pk == int(raw):
                return provider
    refuse(user=request.user, object_type="portal.provider", object_id=raw[:40], reason="report")


def _download(body: bytes, content_type: str, file_name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def report_pdf(report: ProviderReport) -> bytes:
    """The report as tagged PDF/UA-1, through the letters' drawing (nothing fetched)."""
    # Imported here: WeasyPrint weighs some 45 MB and most of a second to import, which only a
    # process that draws a report should pay (see resolution.letters_pdf).
    from resolution.letters_pdf import pdf_from_html

    with translation.override(LANGUAGE):
        html = render_to_string(
            "oversight/learning_report.html",
            {"report": report, "columns": COLUMNS, "small": SMALL, "suppressed": SUPPRESSED},
        )
    return pdf_from_html(html)


def report_csv(report: ProviderReport) -> bytes:
    """The report as CSV: a few lines saying what it is, then one line per table row."""
    out = io.StringIO()
    writer = csv.writer(out)
    with translation.override(LANGUAGE):
        writer.writerow([_("Learning from claims"), _text(report.provider.name)])
        writer.writerow([_("Insurer"), _text(report.insurer.name)])
        writer.writerow(
            [_("Claims received"), report.period.start.isoformat(), report.period.end.isoformat()]
        )
        writer.writerow(
            [_("Small numbers"), _("Counts below %(n)d read: %(words)s") % _small_words()]
        )
        writer.writerow([])
        writer.writerow([_("Table"), _("Row"), *[str(c) for c in COLUMNS]])
        for table in report.tables:
            for row in [*table.rows, table.total]:
                writer.writerow([table.title, _text(row.label), *[_csv_cell(c) for c in row.cells]])
        for label, count in report.top:
            writer.writerow([_("Most frequent categories"), label, count, "", "", ""])
    # A byte-order mark, so spreadsheet programs read it as UTF-8.
    return ("\ufeff" + out.getvalue()).encode()


def _small_words() -> dict:
    return {"n": SMALL, "words": str(SUPPRESSED)}


def _csv_cell(cell) -> str:
    if cell.suppressed:
        return str(cell)
    if cell.value is None:
        return ""
    return f"{cell.value:.2f}" if cell.kind == "money" else str(cell.value)


#: A cell starting with one of these is a formula to a spreadsheet: a provider named
#: "=HYPERLINK(...)"
#: must read as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value
