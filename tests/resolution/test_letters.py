"""Letters as accessible PDFs: each kind drawn from its rows as tagged PDF/UA-1 (opened with
pikepdf, its text read back through the fonts' ToUnicode maps), nothing fetched while drawing,
one letter per move however often its task runs, and the whole way with a real worker, clamd and
S3: a move, the letter stored, scanned and downloadable by the patient alone."""

import datetime
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal

import pikepdf
import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from documents import objects
from documents.models import Document, DocumentCategory, LetterKind, ScanStatus
from intake.models import ClaimMessage, ClaimStatus, ClaimStatusChange, InformationRequest
from intake.services import claim_transition
from notifications.models import Channel, Notification, State
from portal.models import AuditAction, AuditEvent
from resolution import letters_services
from resolution.letters import FILE_NAMES, LetterNotReady, letter_kind_for_move, letter_render
from resolution.letters_pdf import PdfError, pdf_from_html
from resolution.letters_services import LetterOutcome
from resolution.models import (
    LetterRequest,
    LetterState,
    Offer,
    OfferState,
    Review,
    ReviewOutcome,
    Settlement,
)
from tests.documents.conftest import object_exists
from tests.factories import (
    AdjusterFactory,
    ClaimFactory,
    CoverageFactory,
    UserFactory,
    authority_for,
)
from tests.portal.test_selectors import _signed_in
from tests.worker import REPO_ROOT, database_url

S = ClaimStatus
ADDRESS = "14 Wharf Lane\nKendal\nLA9 4QS"
DESCRIPTION = "Left knee replaced on the wrong side"
WAIT_SECONDS = 90


# --- Reading a PDF back --------------------------------------------------------------------------


def _to_unicode(font) -> dict[int, str]:
    """A Type0 font's character codes -> text, from its ToUnicode CMap (bfchar and bfrange)."""
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    mapping: dict[int, str] = {}
    hexes = r"<([0-9A-Fa-f]+)>"
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(rf"{hexes}\s*{hexes}", block):
            mapping[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, first in re.findall(rf"{hexes}\s*{hexes}\s*{hexes}", block):
            start = ord(bytes.fromhex(first).decode("utf-16-be"))
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(start + offset)
    return mapping


def pdf_text(pdf: bytes) -> str:
    """The text the PDF shows, in reading order, with whitespace collapsed: what a reader copies
    out of it, found through the same maps a screen reader uses."""
    words = []
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            fonts = {str(name): _to_unicode(font) for name, font in page.Resources.Font.items()}
            current: dict[int, str] = {}
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) == "Tf":
                    current = fonts[str(operands[0])]
                elif str(operator) in ("Tj", "TJ"):
                    parts = operands[0] if str(operator) == "TJ" else operands
                    for part in parts:
                        if isinstance(part, pikepdf.String):
                            raw = bytes(part)
                            words.append(
                                "".join(
                                    current.get(int.from_bytes(raw[i : i + 2], "big"), "")
                                    for i in range(0, len(raw), 2)
                                )
                            )
                elif str(operator) == "ET":
                    words.append(" ")
    return " ".join("".join(words).split())


def _structure_tags(element, found: set[str]) -> set[str]:
    if isinstance(element, pikepdf.Array):
        for child in element:
            _structure_tags(child, found)
    elif isinstance(element, pikepdf.Dictionary):
        if "/S" in element:
            found.add(str(element.S))
        if "/K" in element:
            _structure_tags(element.K, found)
    return found


def assert_accessible(pdf: bytes, *, title: str) -> None:
    """What PDF/UA asks of the catalogue and metadata, and a structure tree of real elements."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        root = document.Root
        assert "/StructTreeRoot" in root
        assert root.MarkInfo.Marked is True
        assert str(root.Lang) == "en-GB"
        assert root.ViewerPreferences.DisplayDocTitle is True
        assert str(document.docinfo.Title) == title
        with document.open_metadata() as xmp:
            assert xmp["dc:title"] == title
            assert xmp["pdfuaid:part"] == "1"
        tags = _structure_tags(root.StructTreeRoot.K, set())
    assert {"/Document", "/H1", "/H2", "/P", "/Table", "/TH", "/TD"} <= tags


# --- The rows a letter reports on -----------------------------------------------------------------


@pytest.fixture
def adjuster(db):
    return AdjusterFactory(full_name="Asha Patel")


@pytest.fixture
def claim(adjuster):
    coverage = CoverageFactory(insurer=adjuster.insurer)
    return ClaimFactory(
        claimant=UserFactory(full_name="Jane Example"),
        status=S.UNDER_REVIEW,
        address=ADDRESS,
        description=DESCRIPTION,
        provider=coverage.provider,
        insurer=adjuster.insurer,
        assigned_adjuster=adjuster,
        submitted_at=timezone.now() - datetime.timedelta(days=3),
        decide_by=timezone.localdate() + datetime.timedelta(days=120),
    )


def _moved(claim, from_status, to_status, *, actor, reason="") -> ClaimStatusChange:
    claim.status = to_status
    claim.save(update_fields=["status"])
    return ClaimStatusChange.objects.create(
        claim=claim, from_status=from_status, to_status=to_status, actor=actor, reason=reason
    )


def _offer(claim, adjuster, *, round=1, amount="12500.00", state=OfferState.OPEN) -> Offer:
    return Offer.objects.create(
        claim=claim,
        round=round,
        made_by=adjuster,
        amount=Decimal(amount),
        breakdown=[
            {"head": "general_damages", "past": "10000.00", "future": "0.00"},
            {"head": "earnings", "past": "1500.00", "future": "1000.00"},
        ],
        terms="In full and final settlement of the claim.",
        respond_by=timezone.localdate() + datetime.timedelta(days=21),
        state=state,
    )


def _fmt(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


def acknowledgement(claim, adjuster):
    change = _moved(claim, S.ASSIGNED, S.UNDER_REVIEW, actor=adjuster)
    return change, [_fmt(claim.decide_by)]


def information_request(claim, adjuster):
    change = _moved(claim, S.UNDER_REVIEW, S.INFORMATION_REQUESTED, actor=adjuster)
    message = ClaimMessage.objects.create(
        claim=claim, author=adjuster, body="Please send the discharge letter from March."
    )
    due = timezone.localdate() + datetime.timedelta(days=14)
    InformationRequest.objects.create(claim=claim, message=message, due_date=due)
    return change, ["Please send the discharge letter from March.", f"Please reply by {_fmt(due)}"]


def offer(claim, adjuster):
    change = _moved(claim, S.UNDER_REVIEW, S.OFFER_MADE, actor=adjuster)
    made = _offer(claim, adjuster)
    return change, [
        "£12,500.00",
        "Twelve thousand, five hundred pounds",
        "General damages",
        "£2,500.00",  # lost earnings, past and future
        f"Please answer by {_fmt(made.respond_by)}",
    ]


def decision(claim, adjuster):
    change = _moved(
        claim, S.UNDER_REVIEW, S.DENIED, actor=adjuster, reason="The care met the standard."
    )
    review_by = timezone.localdate(change.occurred_at) + relativedelta(months=1)
    return change, ["The care met the standard.", f"Ask for a review by {_fmt(review_by)}"]


def settlement(claim, adjuster):
    claim.status = S.OFFER_MADE
    accepted = _offer(claim, adjuster, amount="8000.50", state=OfferState.ACCEPTED)
    change = _moved(claim, S.OFFER_MADE, S.SETTLED, actor=claim.claimant)
    Settlement.objects.create(
        claim=claim, offer=accepted, amount=accepted.amount, agreed_by=claim.claimant
    )
    return change, [
        "£8,000.50",
        "Eight thousand pounds and fifty pence",
        "Jane Example",  # who agreed
        f"Agreed on {_fmt(timezone.localdate())}",
    ]


def review_outcome(claim, adjuster):
    _moved(claim, S.UNDER_REVIEW, S.DENIED, actor=adjuster, reason="Not negligent.")
    _moved(claim, S.DENIED, S.REVIEW_REQUESTED, actor=claim.claimant)
    reviewer = AdjusterFactory(insurer=adjuster.insurer)
    Review.objects.create(
        claim=claim,
        decision_status=S.DENIED,
        decided_by=adjuster,
        requested_by=claim.claimant,
        reasons="The surgeon was not told of my allergy.",
        reviewer=reviewer,
        decide_by=timezone.localdate() + datetime.timedelta(days=28),
        outcome=ReviewOutcome.UPHELD,
        outcome_reasons="The records show the allergy was checked.",
        outcome_at=timezone.now(),
    )
    change = _moved(claim, S.REVIEW_REQUESTED, S.DENIED, actor=reviewer, reason="Upheld.")
    return change, ["Decision upheld", "The records show the allergy was checked."]


KINDS = {
    LetterKind.ACKNOWLEDGEMENT: acknowledgement,
    LetterKind.INFORMATION_REQUEST: information_request,
    LetterKind.OFFER: offer,
    LetterKind.DECISION: decision,
    LetterKind.SETTLEMENT: settlement,
    LetterKind.REVIEW_OUTCOME: review_outcome,
}


# --- Each kind drawn ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_letter_is_a_tagged_pdf_ua_with_its_facts_and_the_letterhead(kind, claim, adjuster):
    change, facts = KINDS[kind](claim, adjuster)

    letter = letter_render(change=change, kind=kind)

    title = f"{FILE_NAMES[kind]} about claim {claim.reference}"
    assert letter.title == title
    assert_accessible(letter.pdf, title=title)
    text = pdf_text(letter.pdf)
    for shown in (claim.reference, "Jane Example", "14 Wharf Lane", "LA9 4QS", claim.insurer.name):
        assert shown in text
    assert _fmt(timezone.localdate(change.occurred_at)) in text  # the letter's date
    for fact in facts:
        assert fact in text
    # A neutral name, dated by the move: nothing of the claim in it.
    assert letter.file_name == f"{FILE_NAMES[kind]} {timezone.localdate():%Y-%m-%d}.pdf"


def test_an_offer_letter_shows_the_round_made_before_the_claim_next_moved(claim, adjuster):
    change = _moved(claim, S.UNDER_REVIEW, S.OFFER_MADE, actor=adjuster)
    _offer(claim, adjuster, amount="5000.00", state=OfferState.DECLINED)
    answer = _moved(claim, S.OFFER_MADE, S.OFFER_DECLINED, actor=claim.claimant)
    revised = _offer(claim, adjuster, round=2, amount="7000.00")
    Offer.objects.filter(pk=revised.pk).update(
        made_at=answer.occurred_at + datetime.timedelta(minutes=1)
    )

    text = pdf_text(letter_render(change=change, kind=LetterKind.OFFER).pdf)

    assert "£5,000.00" in text
    assert "£7,000.00" not in text


def test_a_letter_whose_row_is_missing_is_not_ready(claim, adjuster):
    change = _moved(claim, S.UNDER_REVIEW, S.OFFER_MADE, actor=adjuster)

    with pytest.raises(LetterNotReady):
        letter_render(change=change, kind=LetterKind.OFFER)


@pytest.mark.parametrize(
    ("from_status", "to_status", "kind"),
    [
        (S.ASSIGNED, S.UNDER_REVIEW, LetterKind.ACKNOWLEDGEMENT),
        (S.INFORMATION_REQUESTED, S.UNDER_REVIEW, None),  # the patient's answer
        (S.UNDER_REVIEW, S.INFORMATION_REQUESTED, LetterKind.INFORMATION_REQUEST),
        (S.UNDER_REVIEW, S.OFFER_MADE, LetterKind.OFFER),
        (S.OFFER_DECLINED, S.OFFER_MADE, LetterKind.OFFER),
        (S.UNDER_REVIEW, S.DENIED, LetterKind.DECISION),
        (S.OFFER_MADE, S.SETTLED, LetterKind.SETTLEMENT),
        (S.COUNTER_PROPOSED, S.SETTLED, LetterKind.SETTLEMENT),
        (S.REVIEW_REQUESTED, S.DENIED, LetterKind.REVIEW_OUTCOME),
        (S.REVIEW_REQUESTED, S.UNDER_REVIEW, LetterKind.REVIEW_OUTCOME),
        (S.SETTLED, S.CLOSED, None),
        (S.OFFER_MADE, S.OFFER_LAPSED, None),
    ],
)
def test_the_moves_that_call_for_a_letter(from_status, to_status, kind):
    assert letter_kind_for_move(from_status, to_status) == kind


# --- Nothing fetched ------------------------------------------------------------------------------


@pytest.fixture
def listening_port():
    """A port that accepts connections, to tell whether drawing tried to reach it."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(5)
        server.setblocking(False)
        yield server


@pytest.mark.parametrize(
    "markup",
    [
        '<link rel="stylesheet" href="http://127.0.0.1:{port}/letter.css">',
        '<img alt="logo" src="http://127.0.0.1:{port}/logo.png">',
        '<style>@import url("http://127.0.0.1:{port}/more.css");</style>',
    ],
)
def test_drawing_refuses_remote_resources_and_never_connects(markup, listening_port):
    port = listening_port.getsockname()[1]
    html = (
        '<html lang="en-GB"><head><title>Letter</title>'
        f"{markup.format(port=port)}</head><body><p>Hello</p></body></html>"
    )

    with pytest.raises(PdfError):
        pdf_from_html(html)

    with pytest.raises(BlockingIOError):
        listening_port.accept()  # nobody knocked


def test_drawing_refuses_local_files():
    html = '<html lang="en-GB"><head><title>L</title></head><body><img src="file:///etc/hostname"></body></html>'

    with pytest.raises(PdfError):
        pdf_from_html(html)


def test_inline_data_is_drawn():
    pixel = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNg"
        "YPj/HwADAgH/1OqGCwAAAABJRU5ErkJggg=="
    )
    html = (
        '<html lang="en-GB"><head><title>L</title></head>'
        f'<body><h1>Logo</h1><img alt="Logo" src="{pixel}"></body></html>'
    )

    assert pdf_from_html(html).startswith(b"%PDF-")


# --- Recorded with the move, written once ---------------------------------------------------------


@pytest.fixture
def tasks_run_here():
    """Run queued tasks in this process (Celery's eager mode), not on a later test's worker."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def objects_deleted_afterwards():
    yield
    for key in Document.objects.values_list("storage_key", flat=True):
        uuid_part = key.split("/", 1)[1]
        for prefix in ("quarantine/", "clean/"):
            objects.delete_quietly(prefix + uuid_part)


def test_a_move_records_the_letter_it_owes_in_its_own_transaction(claim, adjuster):
    claim.status = S.ASSIGNED
    claim.save(update_fields=["status"])

    claim_transition(claim=claim, to_status=S.UNDER_REVIEW, actor=adjuster)

    request = LetterRequest.objects.get()
    assert request.kind == LetterKind.ACKNOWLEDGEMENT
    assert request.state == LetterState.PENDING
    assert request.made_by == adjuster
    assert request.status_change == claim.status_changes.get()
    assert request.document is None  # nothing is drawn in the request


def test_a_move_the_patient_makes_goes_out_under_the_claims_adjuster(claim, adjuster):
    claim.status = S.OFFER_MADE
    claim.save(update_fields=["status"])

    claim_transition(claim=claim, to_status=S.SETTLED, actor=claim.claimant)

    assert LetterRequest.objects.get().made_by == adjuster


def test_a_move_that_calls_for_no_letter_records_none(claim, adjuster):
    claim_transition(claim=claim, to_status=S.WITHDRAWN, actor=claim.claimant)

    assert not LetterRequest.objects.exists()


def test_a_letter_is_written_once_however_often_its_task_runs(
    claim, adjuster, objects_deleted_afterwards
):
    change, _facts = offer(claim, adjuster)
    request = LetterRequest.objects.create(
        claim=claim, status_change=change, kind=LetterKind.OFFER, made_by=adjuster
    )

    assert letters_services.letter_write(request_id=request.pk) == LetterOutcome.WRITTEN
    assert letters_services.letter_write(request_id=request.pk) == LetterOutcome.SKIPPED

    request.refresh_from_db()
    document = Document.objects.get()
    assert request.state == LetterState.DONE
    assert request.document == document
    assert document.letter_kind == LetterKind.OFFER
    assert document.category == DocumentCategory.CORRESPONDENCE
    assert document.uploader == adjuster
    assert document.original_name == f"Offer letter {timezone.localdate():%Y-%m-%d}.pdf"
    assert document.scan_status == ScanStatus.PENDING  # through the same scan as an upload
    assert document.content_type == "application/pdf"
    assert re.fullmatch(r"quarantine/[0-9a-f-]{36}", document.storage_key)
    assert object_exists(document.storage_key)
    created = AuditEvent.objects.get(action=AuditAction.CREATE, object_id=str(document.pk))
    assert created.actor is None  # the portal made it
    assert created.detail["letter"] == LetterKind.OFFER


def test_a_letter_that_cannot_be_drawn_yet_waits_and_is_given_up_after_its_attempts(
    claim, adjuster
):
    change = _moved(claim, S.UNDER_REVIEW, S.OFFER_MADE, actor=adjuster)  # no offer row
    request = LetterRequest.objects.create(
        claim=claim, status_change=change, kind=LetterKind.OFFER, made_by=adjuster
    )

    for _attempt in range(letters_services.LETTER_MAX_ATTEMPTS):
        assert letters_services.letter_write(request_id=request.pk) == LetterOutcome.RETRY
    request.refresh_from_db()
    assert request.state == LetterState.PENDING
    assert request.last_error == "The offer is not recorded."

    assert letters_services.letter_write(request_id=request.pk) == LetterOutcome.SKIPPED
    request.refresh_from_db()
    assert request.state == LetterState.FAILED
    assert not Document.objects.exists()


def test_the_sweeper_queues_again_letters_long_past_due_only(
    claim, adjuster, tasks_run_here, objects_deleted_afterwards
):
    lost_change, _facts = acknowledgement(claim, adjuster)
    lost = LetterRequest.objects.create(
        claim=claim, status_change=lost_change, kind=LetterKind.ACKNOWLEDGEMENT, made_by=adjuster
    )
    LetterRequest.objects.filter(pk=lost.pk).update(
        due_at=timezone.now() - datetime.timedelta(minutes=6)
    )
    recent_change = _moved(claim, S.UNDER_REVIEW, S.DENIED, actor=adjuster, reason="No.")
    recent = LetterRequest.objects.create(
        claim=claim, status_change=recent_change, kind=LetterKind.DECISION, made_by=adjuster
    )

    assert letters_services.letters_requeue_pending(now=timezone.now()) == 1

    lost.refresh_from_db()
    recent.refresh_from_db()
    assert lost.state == LetterState.DONE  # written by the task it queued
    assert recent.state == LetterState.PENDING


# --- The whole way: a real worker, clamd and S3 ---------------------------------------------------


def _wait_for(check, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.25)
    pytest.fail(f"{what} did not happen within {WAIT_SECONDS}s")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_move_makes_a_letter_that_is_scanned_and_opened_by_the_patient_alone(
    celery_worker, objects_deleted_afterwards
):
    adjuster = AdjusterFactory(full_name="Asha Patel")
    coverage = CoverageFactory(insurer=adjuster.insurer)
    claim = ClaimFactory(
        claimant=UserFactory(full_name="Jane Example"),
        status=S.ASSIGNED,
        address=ADDRESS,
        description=DESCRIPTION,
        provider=coverage.provider,
        insurer=adjuster.insurer,
        assigned_adjuster=adjuster,
        submitted_at=timezone.now(),
    )
    advocate = authority_for(claim)

    claim_transition(claim=claim, to_status=S.UNDER_REVIEW, actor=adjuster)

    document = _wait_for(
        lambda: Document.objects.filter(
            claim=claim, letter_kind=LetterKind.ACKNOWLEDGEMENT, scan_status=ScanStatus.CLEAN
        ).first(),
        "A clean acknowledgement letter",
    )
    assert document.storage_key.startswith("clean/")
    download_url = reverse("documents:download", args=[document.pk])

    response = _signed_in(claim.claimant).get(download_url)
    assert response.status_code == 302
    with urllib.request.urlopen(response.headers["Location"], timeout=10) as fetched:  # noqa: S310
        pdf = fetched.read()
    assert_accessible(pdf, title=f"Acknowledgement letter about claim {claim.reference}")
    assert claim.reference in pdf_text(pdf)
    assert _signed_in(UserFactory()).get(download_url).status_code == 404

    # The patient's documents list names it as the insurer's letter.
    page = _signed_in(claim.claimant).get(reverse("intake:claim_detail", args=[claim.pk]))
    assert "Letter from the insurer: Acknowledgement" in page.content.decode()

    # The same task again (a redelivery) makes no second letter.
    request = LetterRequest.objects.get(claim=claim)
    assert (
        celery_app.send_task("resolution.letters_tasks.letter_write", args=[request.pk]).get(
            timeout=WAIT_SECONDS
        )
        == LetterOutcome.SKIPPED
    )
    assert Document.objects.filter(claim=claim, letter_kind__gt="").count() == 1

    # The patient and the advocate hear a letter is ready; the adjuster is not told "your
    # document passed the virus check".
    emails = _wait_for(
        lambda: (
            list(
                Notification.objects.filter(
                    kind="letter_ready", channel=Channel.EMAIL, state=State.SENT
                )
            )
            if Notification.objects.filter(
                kind="letter_ready", channel=Channel.EMAIL, state=State.SENT
            ).count()
            == 2
            else None
        ),
        "Two letter-ready emails",
    )
    assert {email.recipient for email in emails} == {claim.claimant, advocate}
    assert not Notification.objects.filter(kind="document_clean").exists()
    mail = "".join(path.read_text() for path in celery_worker.mail_dir.glob("*.log"))
    assert "A letter about your claim is ready" in mail
    assert "A letter about a claim you follow is ready" in mail
    assert claim.reference in mail  # the reference is fine; what the claim is about is not
    for private in (DESCRIPTION, "Wharf Lane", document.original_name):
        assert private not in mail


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the probe is


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_letter_owed_while_the_broker_was_down_is_written_once_the_sweeper_runs(
    celery_worker, objects_deleted_afterwards
):
    adjuster = AdjusterFactory()
    coverage = CoverageFactory(insurer=adjuster.insurer)
    claim = ClaimFactory(
        status=S.UNDER_REVIEW,
        provider=coverage.provider,
        insurer=adjuster.insurer,
        assigned_adjuster=adjuster,
        submitted_at=timezone.now(),
    )
    # The refusal is made by a process whose broker is a closed port: its publish fails.
    script = (
        "import django, sys; django.setup()\n"
        "from intake.models import Claim\n"
        "from intake.services import claim_transition\n"
        "from portal.models import User\n"
        "claim_transition(claim=Claim.objects.get(pk=sys.argv[1]), to_status='denied',\n"
        "                 actor=User.objects.get(pk=int(sys.argv[2])), reason='Not negligent.')\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{_closed_port()}/0",
        "CELERY_RESULT_BACKEND": f"redis://127.0.0.1:{_closed_port()}/0",
        "PORTAL_IGNORE_DOTENV": "true",
    }
    done = subprocess.run(
        [sys.executable, "-c", script, str(claim.pk), str(adjuster.pk)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    request = LetterRequest.objects.get(claim=claim)
    assert request.state == LetterState.PENDING  # the move held; the letter waits, recorded

    queued = letters_services.letters_requeue_pending(
        now=timezone.now() + datetime.timedelta(minutes=letters_services.LETTER_REQUEUE_MINUTES + 1)
    )

    assert queued == 1
    document = _wait_for(
        lambda: (
            Document.objects.filter(claim=claim, letter_kind=LetterKind.DECISION)
            .exclude(scan_status=ScanStatus.PENDING)
            .first()
        ),
        "The decision letter's scan",
    )
    assert document.scan_status == ScanStatus.CLEAN
    request.refresh_from_db()
    assert request.state == LetterState.DONE
    assert request.document == document
