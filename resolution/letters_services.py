"""Writes for letters: the letter a move calls for is recorded in the move's transaction, drawn
and stored by a worker, and queued again by a sweeper when the broker lost it.

A move records a LetterRequest (one per status change) and queues its task after commit; the
task draws the PDF (resolution/letters.py) and stores it as a document of the claim through
documents' letter door, which puts it through the same virus scan as an upload. When the broker
is down the row waits, pending, and the sweeper (beat, every minute) queues it again once it is
LETTER_REQUEUE_MINUTES overdue. As with scans, no transaction is held while the PDF is drawn or
the object written: one short transaction claims the attempt, one records the letter.
"""

import enum
import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from documents import services as documents_services
from documents.models import Document
from documents.objects import StorageErrors
from intake.access import claim_may_work
from intake.models import Claim
from portal.models import User
from portal.queueing import queue_after_commit, task_publish
from resolution.letters import LetterError, letter_kind_for_move, letter_render
from resolution.models import LetterRequest, LetterState

logger = logging.getLogger(__name__)

#: What takes over a letter that could not be queued (named in the log line).
LETTER_SWEEPER = "letters_requeue_pending will queue it"
#: A pending letter this long past its due time is queued again (a lost message or worker).
LETTER_REQUEUE_MINUTES = 5
#: Attempts before a letter is given up (failed, logged for the staff to look at). Drawing is
#: deterministic, so a letter that fails this often has a cause no retry mends.
LETTER_MAX_ATTEMPTS = 8


class LetterOutcome(enum.StrEnum):
    WRITTEN = "written"
    #: Already written (a repeated task), given up, or no longer there.
    SKIPPED = "skipped"
    #: Drawing or storing failed this time; the task tries again later.
    RETRY = "retry"
    FAILED = "failed"


def letter_request_for_move(
    *, claim: Claim, from_status: str, to_status: str, actor: User | None, change_id: int
) -> LetterRequest | None:
    """Record the letter a move calls for, if any, and queue its writing after commit.
    Precondition: inside the move's transaction (intake's claim_moved). Idempotent per move.

    The letter goes out under the insurer's staff member who made the move, else the claim's
    adjuster (the patient's answer to an offer is still confirmed by the insurer); a claim
    with neither gets no letter."""
    kind = letter_kind_for_move(from_status, to_status)
    if kind is None:
        return None
    made_by = actor if actor is not None and claim_may_work(actor, claim) else None
    made_by = made_by or claim.assigned_adjuster
    if made_by is None:
        logger.info("No letter for status change %s: no one at the insurer to send it.", change_id)
        return None
    request, _created = LetterRequest.objects.get_or_create(
        status_change_id=change_id, defaults={"claim": claim, "kind": kind, "made_by": made_by}
    )
    letter_write_queue_after_commit(request_id=request.pk)
    return request


def letter_write_queue_after_commit(*, request_id: int) -> None:
    from resolution.letters_tasks import letter_write as write_task

    queue_after_commit(write_task, request_id, sweeper=LETTER_SWEEPER)


def letter_write(*, request_id: int, retry_in: int = 0) -> LetterOutcome:
    """Draw the letter of a pending request and store it as the claim's document.

    Idempotent: a repeated or redelivered task, or one that lost a race with another run,
    changes nothing once the request is done (a PDF it stored meanwhile is deleted). RETRY
    leaves the request pending, its next attempt due in `retry_in` seconds (the task's backoff),
    which the sweeper respects."""
    claimed = _letter_claim(request_id=request_id, retry_in=retry_in)
    if claimed is None:
        return LetterOutcome.SKIPPED
    try:
        letter = letter_render(change=claimed.status_change, kind=claimed.kind)
    except LetterError as error:
        return _letter_failed(claimed, str(error))
    try:
        stored = documents_services.letter_object_store(content=letter.pdf, name=letter.file_name)
    except StorageErrors as error:
        return _letter_failed(claimed, f"The object store is unavailable ({type(error).__name__}).")
    return _letter_record(claimed, stored)


def _letter_claim(*, request_id: int, retry_in: int) -> LetterRequest | None:
    """Count an attempt on a pending request and commit it; None when there is nothing to do.
    A request out of attempts is given up here, so even a task that kills its worker ends."""
    with transaction.atomic():
        request = (
            LetterRequest.objects.select_for_update(of=("self",))
            .select_related("status_change", "status_change__claim")
            .filter(pk=request_id)
            .first()
        )
        if request is None or request.state != LetterState.PENDING:
            return None
        if request.attempts >= LETTER_MAX_ATTEMPTS:
            request.state = LetterState.FAILED
            request.save(update_fields=["state"])
            logger.error(
                "Letter request %s was given up after %d attempts: %s",
                request.pk,
                request.attempts,
                request.last_error or "no error recorded",
            )
            return None
        request.attempts += 1
        request.due_at = timezone.now() + timedelta(seconds=retry_in)
        request.save(update_fields=["attempts", "due_at"])
    return request


def _letter_failed(claimed: LetterRequest, reason: str) -> LetterOutcome:
    """Keep the request pending and note why (the reason names no detail of the claim)."""
    LetterRequest.objects.filter(pk=claimed.pk, state=LetterState.PENDING).update(
        last_error=reason[:300]
    )
    logger.warning("Letter request %s could not be written: %s", claimed.pk, reason)
    return LetterOutcome.RETRY


def _letter_record(claimed: LetterRequest, stored) -> LetterOutcome:
    with transaction.atomic():
        request = (
            LetterRequest.objects.select_for_update()
            .filter(pk=claimed.pk, state=LetterState.PENDING)
            .first()
        )
        if request is None:
            transaction.on_commit(lambda: documents_services.letter_object_discard(stored=stored))
            return LetterOutcome.SKIPPED
        document: Document = documents_services.document_store_letter(
            claim=claimed.status_change.claim,
            stored=stored,
            kind=request.kind,
            uploader=request.made_by,
        )
        request.document = document
        request.state = LetterState.DONE
        request.written_at = timezone.now()
        request.last_error = ""
        request.save(update_fields=["document", "state", "written_at", "last_error"])
    return LetterOutcome.WRITTEN


def letters_requeue_pending(*, now: datetime) -> int:
    """Queue again every pending letter LETTER_REQUEUE_MINUTES past its due time: a message lost
    with the broker, a worker killed mid-letter. Each is marked due now first, so the next
    sweep leaves it alone as long again. Returns how many were queued."""
    from resolution.letters_tasks import letter_write as write_task

    cutoff = now - timedelta(minutes=LETTER_REQUEUE_MINUTES)
    stale = list(
        LetterRequest.objects.filter(state=LetterState.PENDING, due_at__lt=cutoff)
        .order_by("due_at")
        .values_list("pk", flat=True)
    )
    LetterRequest.objects.filter(pk__in=stale, state=LetterState.PENDING).update(due_at=now)
    return sum(task_publish(write_task, pk, sweeper=LETTER_SWEEPER) for pk in stale)
