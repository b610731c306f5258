"""How long a letter takes to draw: one offer letter (its rows read, the template rendered, the
PDF/UA-1 drawn by WeasyPrint) against WeasyPrint drawing a one-paragraph page with the same
settings, the raw floor of any PDF from it, measured in the same run.

The two are drawn in ROUNDS, one after the other within each round (letter, page, letter,
page...), after one warm-up of each (fonts found and loaded once per process), so a slow spell
of the machine falls on both sides of a ratio. Figures: the median of each, and the median of
the per-round ratios. Runs inside a configured Django (PostgreSQL, migrated; see bench/run.py).
"""

import datetime
import statistics
import time
from decimal import Decimal

from django.utils import timezone

from documents.models import LetterKind
from intake.models import Claim, ClaimStatus, ClaimStatusChange
from portal.models import Coverage, Insurer, Provider, Role, User
from resolution.letters import letter_render
from resolution.letters_pdf import pdf_from_html
from resolution.models import Offer

ROUNDS = 30
#: A letter is a full page (a letterhead, headings, a table, some forty lines) against one line,
#: so several times the floor's cost is its layout alone (about 7.5 when this was written, 6 with
#: the styles left out); past 10, something besides drawing has crept in (queries per row, a
#: second layout, a fetch).
TARGET = 10.0
MINIMAL_PAGE = (
    '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Page</title></head>'
    "<body><p>One paragraph of text.</p></body></html>"
)


def _offer_change() -> ClaimStatusChange:
    """A claim with an offer of three heads, and the move that made it, as a bench's own rows."""
    stamp = time.time_ns()
    insurer = Insurer.objects.create(name=f"Bench Insurer {stamp}")
    provider = Provider.objects.create(name=f"Bench Provider {stamp}", region="North West")
    Coverage.objects.create(provider=provider, insurer=insurer, starts_on=datetime.date(2020, 1, 1))
    adjuster = User.objects.create(
        email=f"bench-adjuster-{stamp}@example.org",
        full_name="Bench Adjuster",
        role=Role.ADJUSTER,
        insurer=insurer,
    )
    patient = User.objects.create(
        email=f"bench-letter-{stamp}@example.org", full_name="Bench Patient", role=Role.PATIENT
    )
    claim = Claim.objects.create(
        claimant=patient,
        status=ClaimStatus.OFFER_MADE,
        reference=f"BEN-{stamp % 10**12:012d}",
        address="1 Bench Street\nLeeds\nLS1 1AA",
        provider=provider,
        insurer=insurer,
        assigned_adjuster=adjuster,
        submitted_at=timezone.now(),
    )
    change = ClaimStatusChange.objects.create(
        claim=claim,
        from_status=ClaimStatus.UNDER_REVIEW,
        to_status=ClaimStatus.OFFER_MADE,
        actor=adjuster,
    )
    Offer.objects.create(
        claim=claim,
        round=1,
        made_by=adjuster,
        amount=Decimal("23750.00"),
        breakdown=[
            {"head": "general_damages", "past": "15000.00", "future": "0.00"},
            {"head": "earnings", "past": "3500.00", "future": "2000.00"},
            {"head": "care", "past": "1250.00", "future": "2000.00"},
        ],
        terms="In full and final settlement of the claim, including costs.",
        respond_by=timezone.localdate() + datetime.timedelta(days=21),
    )
    return change


def _timed(draw) -> tuple[float, bytes]:
    started = time.perf_counter()
    pdf = draw()
    return time.perf_counter() - started, pdf


def _check(condition: bool, problem: str) -> None:
    """A benchmark that did not do the work it measures must not report a figure."""
    if not condition:
        raise RuntimeError(f"Benchmark invalid: {problem}.")


def _row(name: str, value, unit: str, target: str, meets: bool) -> dict:
    return {"name": name, "value": value, "unit": unit, "target": target, "meets": bool(meets)}


def measure() -> list[dict]:
    """The letter figures, as the results file's rows."""
    change = _offer_change()

    def letter() -> bytes:
        return letter_render(change=change, kind=LetterKind.OFFER).pdf

    def page() -> bytes:
        return pdf_from_html(MINIMAL_PAGE)

    letter(), page()  # warm-up: fonts found and loaded, templates compiled
    letter_times, page_times, ratios = [], [], []
    for _round in range(ROUNDS):
        letter_seconds, letter_pdf = _timed(letter)
        page_seconds, page_pdf = _timed(page)
        _check(letter_pdf.startswith(b"%PDF-") and page_pdf.startswith(b"%PDF-"), "not PDFs")
        _check(len(letter_pdf) > len(page_pdf), "the letter drew less than the minimal page")
        letter_times.append(letter_seconds)
        page_times.append(page_seconds)
        ratios.append(letter_seconds / page_seconds)
    ratio = statistics.median(ratios)
    print(
        f"  offer letter {statistics.median(letter_times) * 1000:.1f} ms, one-paragraph page "
        f"{statistics.median(page_times) * 1000:.1f} ms (medians of {ROUNDS} interleaved rounds)"
    )
    return [
        _row(
            "letter_pdf_seconds_median",
            round(statistics.median(letter_times), 4),
            "seconds",
            "report",
            True,
        ),
        _row(
            "letter_pdf_minimal_page_seconds_median",
            round(statistics.median(page_times), 4),
            "seconds",
            "report",
            True,
        ),
        _row(
            "letter_pdf_ratio_vs_minimal_page",
            round(ratio, 2),
            "ratio",
            f"<= {TARGET:g}",
            ratio <= TARGET,
        ),
    ]
