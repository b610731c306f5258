"""Writes for claims: drafts, submission with its reference, and every move of the lifecycle."""

import datetime
import logging
from datetime import timedelta
from decimal import Decimal
from typing import NamedTuple, NoReturn

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake import access, signals
from intake.lifecycle import LIFECYCLE
from intake.limitation import limitation_deadline
from intake.models import (
    Claim,
    ClaimMessage,
    ClaimReferenceCounter,
    ClaimStatus,
    ClaimStatusChange,
)
from intake.steps import DRAFT_FIELDS, missing_steps
from portal.access import audit_refusal, forbid, refuse
from portal.models import AuditAction, User
from portal.services import audit_event_record

logger = logging.getLogger(__name__)


class ClaimError(Exception):
    """A change to a claim that cannot be made; the message is shown to the person as it is."""


class InvalidTransition(ClaimError):
    pass


class TransitionNotPermitted(ClaimError):
    pass


class ClaimIncomplete(ClaimError):
    def __init__(self, steps: list):
        self.steps = steps
        super().__init__(_("Some questions still need an answer before you can submit."))


def claim_draft_start(*, patient: User) -> Claim:
    """Start an empty draft for `patient`."""
    claim = Claim.objects.create(claimant=patient)
    audit_event_record(action=AuditAction.CREATE, actor=patient, obj=claim)
    return claim


def claim_draft_update(*, claim: Claim, user: User, changes: dict) -> Claim:
    """Save one step's answers on the draft. Only the draft's patient may, only while a draft."""
    if not access.claim_may_edit_draft(user, claim):
        refuse(user=user, object_type="intake.claim", object_id=claim.pk, reason="not an own draft")
    if unknown := set(changes) - DRAFT_FIELDS:
        raise ValueError(f"Not answers a patient gives: {sorted(unknown)}")
    for field, value in changes.items():
        setattr(claim, field, value)
    claim.draft_reminded_at = None  # touched again: a new reminder is due if it goes stale
    if "losses" in changes:
        claim.claimed_amount = _total(claim.losses)
    claim.save()
    audit_event_record(
        action=AuditAction.CHANGE, actor=user, obj=claim, detail={"fields": sorted(changes)}
    )
    return claim


def _total(losses: dict) -> Decimal | None:
    amounts = [Decimal(amount) for amount in losses.values() if amount not in ("", None)]
    return sum(amounts, Decimal("0.00")) if amounts else None


def claim_submit(*, claim: Claim, user: User) -> Claim:
    """Submit a complete draft: limitation deadline, reference, history, then triage after commit.

    Submitting an already submitted claim changes nothing. Raises ClaimIncomplete.
    """
    # Who is asking comes first: nobody else learns anything about the draft, not even which
    # answers it lacks. The claimant never changes, so this needs no lock.
    if not access.claim_may_submit(user, claim):
        claim_change_refuse(user=user, claim=claim)
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if not locked.is_draft:
            return locked  # already submitted: a repeated or replayed submission
        if steps := missing_steps(locked):
            raise ClaimIncomplete(steps)
        signals.claim_submitting.send(sender=Claim, claim=locked, user=user)
        locked.limitation_deadline = claim_limitation_deadline(claim=locked)
        locked.reference = _next_reference(year=timezone.localdate().year)
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["limitation_deadline", "reference", "submitted_at"])
        locked = claim_transition(claim=locked, to_status=ClaimStatus.SUBMITTED, actor=user)
        transaction.on_commit(
            lambda: signals.claim_submitted.send(sender=Claim, claim_id=locked.pk)
        )
    return locked


def claim_limitation_deadline(*, claim: Claim) -> datetime.date | None:
    """The claim's limitation deadline under its provider's jurisdiction, once dates are known."""
    if not (claim.knowledge_date and claim.incident_date):
        return None
    return limitation_deadline(
        knowledge_date=claim.knowledge_date,
        incident_date=claim.incident_date,
        date_of_birth=claim.date_of_birth,
        jurisdiction=claim.provider.jurisdiction if claim.provider_id else None,
    )


def _next_reference(*, year: int) -> str:
    """The next CLM-<year>-<number>; the counter row stays locked until the transaction ends, so
    concurrent submissions queue here and a rollback gives the number back (no gaps)."""
    ClaimReferenceCounter.objects.bulk_create(
        [ClaimReferenceCounter(year=year)], ignore_conflicts=True
    )
    counter = ClaimReferenceCounter.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"CLM-{year}-{counter.last_number:06d}"


def claim_transition(
    *, claim: Claim, to_status: str, actor: User | None, reason: str = ""
) -> Claim:
    """Move `claim` to `to_status`: checks the move against the lifecycle table (allowed, by
    whom, with a reason, its guard), records history and audit, and announces the change after
    commit. `actor` None is the portal itself (routing).

    A move to the current status is a no-op. Raises InvalidTransition, TransitionNotPermitted.
    """
    reason = reason.strip()
    try:
        locked = _transition_locked(claim=claim, to_status=to_status, actor=actor, reason=reason)
    except TransitionNotPermitted:
        # Written after the rollback of the refused change, so the audit row is kept.
        claim_change_refuse(user=actor, claim=claim)
    claim.status = locked.status
    return locked


def claim_change_refuse(*, user: User | None, claim: Claim) -> NoReturn:
    """Record a refused change of `claim` and raise TransitionNotPermitted."""
    audit_refusal(user=user, object_type="intake.claim", object_id=claim.pk, reason="transition")
    raise TransitionNotPermitted(_("You cannot make this change to the claim."))


def _transition_locked(*, claim: Claim, to_status: str, actor: User | None, reason: str) -> Claim:
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        from_status = locked.status
        if from_status == to_status:
            return locked
        # A stranger to the claim learns nothing, not even whether the move would be allowed.
        if access.claim_actor_kind(actor, locked) is None:
            raise TransitionNotPermitted
        move = LIFECYCLE.get((from_status, to_status))
        if move is None:
            raise InvalidTransition(
                _("A claim that is “%(from)s” cannot become “%(to)s”.")
                % {"from": ClaimStatus(from_status).label, "to": ClaimStatus(to_status).label}
            )
        if not access.claim_may_transition(actor, locked, to_status):
            raise TransitionNotPermitted
        if move.reason_required and not reason:
            raise ClaimError(_("Give a reason for this change."))
        if refusal := move.refusal(locked):
            raise ClaimError(refusal)
        locked.status = to_status
        locked.save(update_fields=["status", "updated_at"])
        change = ClaimStatusChange.objects.create(
            claim=locked, from_status=from_status, to_status=to_status, actor=actor, reason=reason
        )
        # In the same transaction: the people concerned are told exactly when the change holds.
        signals.claim_moved.send(
            sender=Claim,
            claim=locked,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            change_id=change.pk,
        )
        # The reason may describe health: it stays in the history, not in the audit log.
        audit_event_record(
            action=AuditAction.CHANGE,
            actor=actor,
            obj=locked,
            detail={"from": from_status, "to": to_status},
        )
        transaction.on_commit(
            lambda: signals.claim_status_changed.send(
                sender=Claim,
                claim_id=locked.pk,
                from_status=from_status,
                to_status=to_status,
                actor_id=actor.pk if actor else None,
            )
        )
    return locked


def claim_withdraw(*, claim: Claim, user: User, reason: str = "") -> Claim:
    """The patient withdraws a claim before any decision."""
    return claim_transition(claim=claim, to_status=ClaimStatus.WITHDRAWN, actor=user, reason=reason)


def claim_acknowledge_duplicate(*, claim: Claim, user: User) -> Claim:
    """The patient chose to go on with this draft despite a similar claim of theirs."""
    return claim_draft_update(claim=claim, user=user, changes={"duplicate_acknowledged": True})


class DraftsRun(NamedTuple):
    """What one run of drafts_remind_and_purge did."""

    reminded: int
    purged: int
    failed: int


def drafts_remind_and_purge(*, now: datetime.datetime) -> DraftsRun:
    """Remind patients of drafts untouched for DRAFT_REMINDER_DAYS, telling them the date it will
    be deleted; delete drafts still untouched that long after the reminder, with their documents
    (rows and stored objects), and send a notice.

    Safe to repeat: a draft is reminded once per stale spell and deleted once. Each draft is its
    own transaction, so one that cannot be deleted is counted in `failed`, logged by its id, and
    the rest still go."""
    grace = timedelta(days=settings.DRAFT_PURGE_DAYS - settings.DRAFT_REMINDER_DAYS)
    drafts = Claim.objects.filter(status=ClaimStatus.DRAFT).select_related("claimant")
    # Deletion counts from the reminder, so a late reminder still gives the full notice.
    purge_before = now - grace
    purged = failed = 0
    for claim_id in drafts.filter(draft_reminded_at__lt=purge_before).values_list("pk", flat=True):
        try:
            purged += _draft_purge(claim_id=claim_id, reminded_before=purge_before)
        except Exception as error:  # noqa: BLE001 - one draft never stops the run
            failed += 1
            # The id only: an error's text may quote the rows (file names, answers).
            logger.error("Could not delete stale draft %s (%s).", claim_id, type(error).__name__)
    reminder_due = drafts.filter(
        updated_at__lt=now - timedelta(days=settings.DRAFT_REMINDER_DAYS),
        draft_reminded_at__isnull=True,
    )
    reminded = sum(
        _draft_remind(claim=claim, now=now, deleted_on=(now + grace).date())
        for claim in reminder_due
    )
    return DraftsRun(reminded=reminded, purged=purged, failed=failed)


def _draft_remind(*, claim: Claim, now: datetime.datetime, deleted_on: datetime.date) -> bool:
    with transaction.atomic():
        # The conditional update claims the reminder, so an overlapping run sends none.
        claimed = Claim.objects.filter(pk=claim.pk, draft_reminded_at__isnull=True).update(
            draft_reminded_at=now
        )
        if claimed:
            # In this transaction: notifications writes the reminder into its outbox, so it is
            # sent (and retried) exactly when the reminder is recorded.
            signals.draft_reminder_due.send(sender=Claim, claim=claim, deleted_on=deleted_on)
    return bool(claimed)


def _draft_purge(*, claim_id, reminded_before: datetime.datetime) -> bool:
    """Delete one stale draft; documents deletes its documents (an advocate's authority form,
    say) on claim_draft_purging, their objects in S3 once the deletion is committed."""
    with transaction.atomic():
        # Still a draft, still untouched since its reminder: an overlapping run or the patient's
        # own edit may have come first.
        claim = (
            Claim.objects.select_for_update(of=("self",))
            .select_related("claimant")
            .filter(pk=claim_id, status=ClaimStatus.DRAFT, draft_reminded_at__lt=reminded_before)
            .first()
        )
        if claim is None:
            return False
        # Documents deletes the draft's documents here, in this transaction (their objects after
        # commit); a receiver that fails keeps the draft, as a failing deletion would.
        purging = signals.claim_draft_purging.send(sender=Claim, claim=claim)
        claim.delete()
        audit_event_record(
            action=AuditAction.DELETE,
            object_type="intake.claim",
            object_id=str(claim_id),
            detail={"reason": "draft untouched", "documents": sum(n or 0 for _, n in purging)},
        )
        # The notice goes into the outbox with the deletion: sent (and retried) once it commits.
        signals.claim_draft_purged.send(
            sender=Claim, claim_id=claim_id, patient=claim.claimant, started_at=claim.created_at
        )
    return True


# --- The claim's thread and the adjuster's decisions --------------------------------------------


def claim_message_send(
    *, claim: Claim, author: User, body: str, notify: bool = True
) -> ClaimMessage:
    """Add a message to the claim's thread (the patient's side or the insurer's staff) and tell
    the other side. `notify` False when the message is part of an event that tells them itself
    (an information request, its answer, an offer)."""
    if not access.claim_may_message(author, claim):
        forbid(
            user=author,
            object_type="intake.claim",
            object_id=claim.pk,
            reason="message",
            message=_(
                "You cannot send messages on this claim. If you act for the patient, ask them to "
                "allow you to message the claims handler."
            ),
        )
    with transaction.atomic():
        message = ClaimMessage.objects.create(claim=claim, author=author, body=body.strip())
        audit_event_record(action=AuditAction.CREATE, actor=author, obj=message)
        if notify:
            signals.claim_message_posted.send(sender=ClaimMessage, message=message)
    return message


def claim_answer_information_request(*, claim: Claim, patient: User, body: str) -> ClaimMessage:
    """The patient's answer: a message, the request marked answered, the claim back under
    review, and the adjuster told (the transition's notification)."""
    if not access.claim_may_answer(patient, claim):
        claim_change_refuse(user=patient, claim=claim)
    with transaction.atomic():
        claim_transition(claim=claim, to_status=ClaimStatus.UNDER_REVIEW, actor=patient)
        message = claim_message_send(claim=claim, author=patient, body=body, notify=False)
        claim.information_requests.filter(answered_at__isnull=True).update(
            answered_at=timezone.now()
        )
    return message


def claim_reply(*, claim: Claim, user: User, body: str) -> bool:
    """A message from the patient's side. While the claim waits for information it is the
    patient's answer (see claim_answer_information_request); returns whether it was."""
    answering = (
        claim.status == ClaimStatus.INFORMATION_REQUESTED
        and access.claim_actor_kind(user, claim) in (access.CLAIMANT, access.ADVOCATE)
        and access.claim_may_message(user, claim)
    )
    if answering:
        claim_answer_information_request(claim=claim, patient=user, body=body)
    else:
        claim_message_send(claim=claim, author=user, body=body)
    return answering
