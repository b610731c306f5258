"""Learning from claims: the suppression rule, the provider's report (PDF and CSV) carrying no
identifier or free text, its audit row, and who may make one."""

import csv
import datetime
import io
import random
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from intake.models import ClaimStatus
from oversight.learning import SMALL, Counts, suppress_column, suppressed_table
from portal.models import AuditAction, AuditEvent
from tests.factories import (
    AdjusterFactory,
    AdvocateFactory,
    ClaimFactory,
    CoverageFactory,
    TriageLeadFactory,
    UserFactory,
)
from tests.portal.test_selectors import _signed_in
from tests.resolution.factories_payments import OfferFactory, SettlementFactory
from tests.resolution.test_letters import assert_accessible, pdf_text

pytestmark = pytest.mark.django_db
DESCRIPTION = "Secretdescription: the drip was left running overnight"
INJURIES = "Secretinjury: a burn to the left forearm"


# --- The rule -----------------------------------------------------------------------------------


def test_a_small_count_is_suppressed_and_a_lone_one_takes_the_next_smallest_with_it():
    hidden, total_hidden = suppress_column([10, 3, 8, 6], 27)

    assert hidden == [False, True, False, True]
    assert total_hidden is False


def test_two_small_counts_need_no_secondary_suppression():
    assert suppress_column([10, 3, 2, 6], 21) == ([False, True, True, False], False)


def test_a_lone_row_too_small_hides_the_total_and_a_large_one_hides_nothing():
    assert suppress_column([3], 3) == ([True], True)
    assert suppress_column([7], 7) == ([False], False)


def test_zero_counts_as_small():
    assert suppress_column([7, 0, 9], 16) == ([True, True, False], False)


def test_no_suppressed_count_can_be_worked_out_by_subtraction():
    """For many random tables: in every column whose total is shown, either nothing is hidden
    or at least two cells are, so the total less the shown cells is a sum, never one cell."""
    rng = random.Random(14)
    for _ in range(500):
        counts = []
        for i in range(rng.randint(1, 8)):
            claims = rng.choice([0, 1, 2, 4, 5, 6, 9, 20])
            settled = rng.randint(0, claims)
            counts.append(Counts(f"row {i}", claims, settled, Decimal(settled * 1000), 30))
        table = suppressed_table("t", "T", "Row", counts)
        for column in ("claims", "settled", "amount", "days"):
            cells = [getattr(row, column) for row in table.rows]
            hidden = sum(cell.suppressed for cell in cells)
            assert getattr(table.total, column).suppressed or hidden != 1, (counts, column)
        for row, count in zip(table.rows, counts, strict=True):
            assert row.claims.suppressed or count.claims >= SMALL
            assert row.settled.suppressed or count.settled >= SMALL
            assert row.amount.suppressed == row.settled.suppressed


def test_a_hidden_count_reads_fewer_than_5_only_when_it_is():
    table = suppressed_table(
        "t",
        "T",
        "Row",
        [
            Counts("a", 10, 9, None, None),
            Counts("b", 3, 0, None, None),
            Counts("c", 6, 5, None, None),
        ],
    )

    assert [str(row.claims) for row in table.rows] == ["10", "fewer than 5", "not shown"]


# --- The report ---------------------------------------------------------------------------------


class World:
    """An insurer's claims about one provider, by category: surgery 7 (5 settled), medication 2,
    maternity 6 (1 settled); by severity: minor 5, moderate 5, severe 5, death none. Another
    insurer's claims about the same provider must never count."""

    def __init__(self):
        coverage = CoverageFactory()
        self.insurer, self.provider = coverage.insurer, coverage.provider
        self.lead = TriageLeadFactory(insurer=self.insurer)
        self.adjuster = AdjusterFactory(insurer=self.insurer)
        self.patients = []
        self.references = []
        rows = (
            [("surgical", "moderate", True)] * 5
            + [("surgical", "severe", False)] * 2
            + [("medication", "minor", False)] * 2
            + [("maternity", "minor", False)] * 3
            + [("maternity", "severe", False)] * 2
            + [("maternity", "severe", True)]
        )
        for n, (category, severity, settled) in enumerate(rows):
            self.claim(self.insurer, category, severity, settled, n)
        theirs = CoverageFactory(provider=self.provider)
        for n in range(6):
            self.claim(theirs.insurer, "consent", "minor", True, 100 + n)

    def claim(self, insurer, category, severity, settled, n):
        patient = UserFactory(full_name=f"Patientname{n} Surname", email=f"patient{n}@example.net")
        self.patients.append(patient)
        claim = ClaimFactory(
            claimant=patient,
            status=ClaimStatus.SETTLED if settled else ClaimStatus.UNDER_REVIEW,
            insurer=insurer,
            provider=self.provider,
            harm_category=category,
            severity=severity,
            description=DESCRIPTION,
            injuries=INJURIES,
            nhs_number=f"943 476 {n:04d}",
            submitted_at=timezone.now() - datetime.timedelta(days=40),
        )
        self.references.append(claim.reference)
        if settled:
            offer = OfferFactory(claim=claim, round=1, amount=Decimal("10000"))
            SettlementFactory(offer=offer, agreed_at=timezone.now() - datetime.timedelta(days=10))
        return claim

    def report_url(self, kind: str) -> str:
        query = f"?provider={self.provider.pk}&format={kind}"
        return reverse("oversight:learning_report") + query


@pytest.fixture
def world():
    return World()


def _csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _row(rows, table: str, label: str) -> list[str]:
    return next(r[2:] for r in rows if r[:2] == [table, label])


def test_the_csv_report_counts_the_insurers_claims_and_suppresses_small_ones(world):
    response = _signed_in(world.lead).get(world.report_url("csv"))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="Learning report')
    rows = _csv_rows(response.content)
    category = "By harm category"
    assert _row(rows, category, "Surgery") == ["7", "5", "50000.00", "30"]
    assert _row(rows, category, "Medication") == [
        "fewer than 5",
        "fewer than 5",
        "not shown",
        "not shown",
    ]
    assert _row(rows, category, "Maternity and birth")[:2] == ["6", "fewer than 5"]
    assert _row(rows, category, "Consent")[0] == "fewer than 5"  # theirs are not ours: zero
    assert _row(rows, category, "All claims")[:2] == ["15", "6"]
    # Severity: minor 5, moderate 5, severe 5, death 0: death alone is small, so the smallest
    # shown (minor, first of the fives) is withheld, or 15 - 5 - 5 - 5 would give death's.
    severity = "By severity"
    assert [_row(rows, severity, label)[0] for label in ("Minor", "Moderate")] == ["not shown", "5"]
    assert _row(rows, severity, "Severe or permanent")[0] == "5"
    assert _row(rows, severity, "Death")[0] == "fewer than 5"
    assert _row(rows, severity, "All claims")[0] == "15"
    assert ["Most frequent categories", "Surgery", "7", "", "", ""] in rows


def _assert_no_identifier_or_free_text(text: str, world: World) -> None:
    for patient in world.patients:
        assert patient.full_name not in text
        assert patient.email not in text
    for reference in world.references:
        assert reference not in text
    assert "Secretdescription" not in text
    assert "Secretinjury" not in text
    assert "943 476" not in text


def test_the_reports_carry_no_identifier_or_free_text(world):
    client = _signed_in(world.lead)

    csv_text = client.get(world.report_url("csv")).content.decode("utf-8-sig")
    pdf = client.get(world.report_url("pdf")).content
    pdf_words = pdf_text(pdf)

    _assert_no_identifier_or_free_text(csv_text, world)
    _assert_no_identifier_or_free_text(pdf_words, world)
    assert world.provider.name in pdf_words
    assert "fewer than 5" in pdf_words


def test_the_pdf_report_is_tagged_pdf_ua(world):
    response = _signed_in(world.lead).get(world.report_url("pdf"))

    assert response["Content-Type"] == "application/pdf"
    assert_accessible(response.content, title=f"Learning from claims: {world.provider.name}")


def test_making_a_report_is_audited_without_its_content(world):
    _signed_in(world.lead).get(world.report_url("csv"))

    event = AuditEvent.objects.get(action=AuditAction.CREATE, actor=world.lead)
    assert (event.object_type, event.object_id) == ("portal.provider", str(world.provider.pk))
    assert event.detail["report"] == "learning" and event.detail["format"] == "csv"
    assert set(event.detail) == {"report", "format", "insurer", "from", "to"}


def test_a_provider_the_insurer_does_not_cover_is_not_found(world):
    elsewhere = CoverageFactory()

    response = _signed_in(world.lead).get(
        reverse("oversight:learning_report") + f"?provider={elsewhere.provider.pk}&format=pdf"
    )

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.CREATE).exists()


def test_the_learning_page_shows_suppressed_trends_and_links_each_report(world):
    response = _signed_in(world.lead).get(reverse("oversight:learning"))

    page = response.content.decode()
    assert response.status_code == 200
    assert world.provider.name in page
    assert "Surgery (7)" in page and "Maternity and birth (6)" in page
    assert "Consent" not in page.split('id="reports-table"')[1].split("</table>")[0]
    assert world.report_url("pdf").split("?")[1].split("&")[0] in page
    _assert_no_identifier_or_free_text(page, world)


@pytest.mark.parametrize(
    "make_user",
    [UserFactory, AdvocateFactory, lambda: AdjusterFactory()],
    ids=["patient", "advocate", "adjuster"],
)
def test_patients_advocates_and_adjusters_cannot_make_reports(world, make_user):
    client = _signed_in(make_user())

    for url in (reverse("oversight:learning"), world.report_url("pdf")):
        assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.CREATE).exists()
