"""The retention schedule and the daily run that applies it.

Ended claims (closed, denied or withdrawn) are anonymised PRIVACY_CLAIM_RETENTION_YEARS after
they ended, in batches of PRIVACY_ANONYMISE_BATCH_SIZE: each batch is one transaction and takes the
same number of queries whatever its size (set-based updates, never a query per claim). What a
person wrote or could be found by goes: the claimant's details, the story and the injuries, the
thread's and notes' texts, reasons, bank details, advocates' authorities, the outbox rows, and
every stored version of every document and letter. What the dashboards count stays: statuses,
dates, category, severity, provider, insurer, team, adjuster, amounts claimed, offered, reserved
and paid. The claim is moved to one placeholder claimant, and the former claimant's account is
anonymised too once no claim of theirs is left. A claim under a legal hold (privacy/holds.py) is
never touched, nor is anything of a patient held as a whole.

The audit log is not purged here. It is append-only, and the database refuses deletes (portal
migrations 0002 and 0006); a path around that in the portal would let a bug or a stolen
connection rewrite history. Its rows hold identifiers, never health details, and are kept at
least PRIVACY_AUDIT_RETENTION_YEARS (HIPAA 45 CFR 164.316(b)(2)). A database administrator purges
older rows outside the portal, as the table's owner, in one transaction:

    ALTER TABLE portal_auditevent DISABLE TRIGGER portal_audit_event_no_update_or_delete;
    DELETE FROM portal_auditevent WHERE occurred_at < now() - interval '6 years';
    ALTER TABLE portal_auditevent ENABLE TRIGGER portal_audit_event_no_update_or_delete;

(rows about a claim under a legal hold are kept: add AND NOT object_id IN (the held claims' ids)).
"""

import datetime
import logging
from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import (
    CharField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.models import Document
from intake.models import Authority, Claim, ClaimMessage, ClaimStatus, ClaimStatusChange
from notifications.models import EmailDigest, Notification, NotificationPreference
from portal.models import AuditAction, AuditEvent, Role, User
from portal.request_context import current_origin
from portal.services import audit_event_record
from privacy.holds import held_claim_ids, held_claims_q
from privacy.retention_models import AnonymisedClaim, ContactCorrection
from privacy.retention_objects import object_versions_delete
from resolution.letters_models import LetterRequest
from resolution.models import BankDetails, Offer, Reserve, Review, Settlement
from triage.models import ClaimNote

logger = logging.getLogger(__name__)

#: A claim's retention runs from the day it reached one of these.
ENDED_STATUSES = (ClaimStatus.CLOSED, ClaimStatus.DENIED, ClaimStatus.WITHDRAWN)
#: The one account anonymised claims point at, so that no claim leads back to a person.
PLACEHOLDER_EMAIL = "anonymised-claimant@invalid"


# --- The schedule ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionRule:
    """One line of the retention schedule, for the privacy notice and the README."""

    records: str
    kept_for: str
    why: str
    then: str
    setting: str


def retention_schedule() -> list[RetentionRule]:
    """The schedule as it stands with the current settings."""
    years = settings.PRIVACY_CLAIM_RETENTION_YEARS
    return [
        RetentionRule(
            _(
                "Claims that have ended (closed, refused or withdrawn), with their documents, "
                "letters, messages, offers and payments"
            ),
            _("%(years)d years after the claim ended") % {"years": years},
            _(
                "The NHS Records Management Code of Practice keeps litigation and complaints "
                "files for 10 years; a claim may be challenged or reopened in that time."
            ),
            _(
                "Anonymised: your details, what you wrote and every document are deleted; the "
                "figures insurers count (dates, kind of harm, amounts) stay, about nobody."
            ),
            "PRIVACY_CLAIM_RETENTION_YEARS",
        ),
        RetentionRule(
            _("Unfinished claims (drafts)"),
            _("%(days)d days after you last changed them, with a reminder first")
            % {"days": settings.DRAFT_PURGE_DAYS},
            _("A draft nobody sends is not needed."),
            _("Deleted with their documents."),
            "DRAFT_PURGE_DAYS",
        ),
        RetentionRule(
            _("Files in which a virus was found"),
            _("%(days)d days") % {"days": settings.DOCUMENT_INFECTED_RETENTION_DAYS},
            _("Long enough to tell you and to check the finding."),
            _("The file is deleted; a line saying it existed stays."),
            "DOCUMENT_INFECTED_RETENTION_DAYS",
        ),
        RetentionRule(
            _("Notifications (in the portal and by email)"),
            _("%(days)d days") % {"days": settings.PRIVACY_NOTIFICATION_RETENTION_DAYS},
            _("To show what you were told, and when."),
            _("Deleted."),
            "PRIVACY_NOTIFICATION_RETENTION_DAYS",
        ),
        RetentionRule(
            _("Copies of your data you asked for"),
            _("%(days)d days") % {"days": getattr(settings, "PRIVACY_EXPORT_DAYS", 7)},
            _("Long enough for you to download it."),
            _("Deleted."),
            "PRIVACY_EXPORT_DAYS",
        ),
        RetentionRule(
            _("The audit log: who saw or changed what, when, and from where"),
            _("At least %(years)d years") % {"years": settings.PRIVACY_AUDIT_RETENTION_YEARS},
            _(
                "The US HIPAA Security Rule (45 CFR 164.316) keeps such records for 6 years; it "
                "also answers who has seen your data."
            ),
            _("Deleted by a database administrator; it never holds health details."),
            "PRIVACY_AUDIT_RETENTION_YEARS",
        ),
    ]


def _years_before(moment: datetime.datetime, years: int) -> datetime.datetime:
    """The same day and time `years` earlier (28 February for a 29 February)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


# --- Which claims are due -------------------------------------------------------------------------


def claims_past_retention(*, now: datetime.datetime) -> QuerySet[Claim]:
    """Ended claims whose retention has run out and that are not yet anonymised, held or not."""
    cutoff = _years_before(now, settings.PRIVACY_CLAIM_RETENTION_YEARS)
    ended_at = Subquery(
        ClaimStatusChange.objects.filter(claim=OuterRef("pk"), to_status=OuterRef("status"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    return (
        Claim.objects.filter(status__in=ENDED_STATUSES)
        # A claim with no history (made before the history existed) counts from its last change.
        .annotate(ended_at=Coalesce(ended_at, "updated_at"))
        .filter(ended_at__lt=cutoff)
        .exclude(Exists(AnonymisedClaim.objects.filter(claim=OuterRef("pk"))))
    )


def claims_due_for_anonymisation(*, now: datetime.datetime) -> QuerySet[Claim]:
    """Claims past retention and under no legal hold."""
    return claims_past_retention(now=now).exclude(held_claims_q())


# --- The run --------------------------------------------------------------------------------------


class BatchResult(NamedTuple):
    claims: int
    documents: int
    object_versions: int
    accounts: int


class RetentionRun(NamedTuple):
    """What one run did, in counts only."""

    anonymised: int
    batches: int
    documents_deleted: int
    object_versions_deleted: int
    accounts_anonymised: int
    notifications_deleted: int
    kept_under_hold: int


def retention_run(*, now: datetime.datetime | None = None) -> RetentionRun:
    """Anonymise every claim past retention and not held, batch by batch, then delete old
    notification rows; one summary audit row and one log line (counts only). Safe to repeat: a
    claim anonymised is marked and never selected again, so a second run does nothing."""
    now = now or timezone.now()
    totals = [0, 0, 0, 0]
    batches = 0
    while True:
        done = claims_anonymise_batch(now=now)
        if not done.claims:
            break
        batches += 1
        totals = [a + b for a, b in zip(totals, done, strict=True)]
    notifications = notifications_purge_old(now=now)
    kept = claims_past_retention(now=now).filter(held_claims_q()).count()
    run = RetentionRun(totals[0], batches, totals[1], totals[2], totals[3], notifications, kept)
    audit_event_record(
        action=AuditAction.DELETE,
        object_type="privacy.retention_run",
        object_id=now.date().isoformat(),
        detail=run._asdict(),
    )
    logger.info(
        "Retention run: %d claim(s) anonymised in %d batch(es), %d document(s) and %d stored "
        "version(s) deleted, %d account(s) anonymised, %d notification row(s) deleted, %d claim(s) "
        "past retention kept under a legal hold.",
        run.anonymised,
        run.batches,
        run.documents_deleted,
        run.object_versions_deleted,
        run.accounts_anonymised,
        run.notifications_deleted,
        run.kept_under_hold,
    )
    return run


def placeholder_claimant() -> User:
    """The inactive account anonymised claims belong to (made on first use)."""
    user, _created = User.objects.get_or_create(
        email=PLACEHOLDER_EMAIL,
        defaults={
            "role": Role.PATIENT,
            "full_name": "",
            "is_active": False,
            "password": make_password(None),
        },
    )
    return user


def claims_anonymise_batch(*, now: datetime.datetime, size: int | None = None) -> BatchResult:
    """Anonymise up to `size` claims due (PRIVACY_ANONYMISE_BATCH_SIZE), in one transaction and a
    fixed number of queries. The stored objects are deleted first, inside the transaction: if the
    store refuses, the batch rolls back and its claims wait for the next run, rows intact."""
    size = size or settings.PRIVACY_ANONYMISE_BATCH_SIZE
    with transaction.atomic():
        rows = list(
            claims_due_for_anonymisation(now=now)
            .order_by("pk")
            .select_for_update(of=("self",), skip_locked=True)
            .values_list("pk", "claimant_id")[:size]
        )
        if not rows:
            return BatchResult(0, 0, 0, 0)
        claim_ids = [pk for pk, _claimant in rows]
        claimant_ids = sorted({claimant for _pk, claimant in rows})
        documents = list(
            Document.objects.filter(claim_id__in=claim_ids).values_list("claim_id", "storage_key")
        )
        counts = Counter(claim for claim, _key in documents)
        versions = object_versions_delete([key for _claim, key in documents])
        placeholder = placeholder_claimant()
        _documents_delete(claim_ids)
        _personal_fields_clear(claim_ids, claimant_ids=claimant_ids, placeholder=placeholder)
        AnonymisedClaim.objects.bulk_create(
            AnonymisedClaim(
                claim_id=pk,
                anonymised_at=now,
                documents_deleted=counts[pk],
            )
            for pk in claim_ids
        )
        _audit_rows(claim_ids, counts=counts)
        accounts = _former_claimants_anonymise(claimant_ids, exclude=placeholder.pk)
    return BatchResult(len(claim_ids), len(documents), versions, accounts)


def _documents_delete(claim_ids: list) -> None:
    """Delete the claims' document rows; letters keep their row, without the document."""
    LetterRequest.objects.filter(claim_id__in=claim_ids, document__isnull=False).update(
        document=None
    )
    _rows_delete(Document.objects.filter(claim_id__in=claim_ids))


def _personal_fields_clear(claim_ids: list, *, claimant_ids: list, placeholder: User) -> None:
    """Replace what a person wrote or is known by, keep what the dashboards count."""
    Claim.objects.filter(pk__in=claim_ids).update(
        claimant=placeholder,
        date_of_birth=None,
        phone="",
        address="",
        nhs_number="",
        description="",
        injuries="",
        authority_decision_reason="",
        filed_by=None,
    )
    claimant_wrote = Q(author_id__in=claimant_ids)
    ClaimMessage.objects.filter(claim_id__in=claim_ids).update(body="")
    ClaimMessage.objects.filter(claimant_wrote, claim_id__in=claim_ids).update(author=placeholder)
    ClaimNote.objects.filter(claim_id__in=claim_ids).update(body="")
    ClaimStatusChange.objects.filter(claim_id__in=claim_ids).update(reason="")
    ClaimStatusChange.objects.filter(claim_id__in=claim_ids, actor_id__in=claimant_ids).update(
        actor=placeholder
    )
    Offer.objects.filter(claim_id__in=claim_ids).update(terms="", answer_reasons="")
    Offer.objects.filter(claim_id__in=claim_ids, answered_by_id__in=claimant_ids).update(
        answered_by=placeholder
    )
    Settlement.objects.filter(claim_id__in=claim_ids, agreed_by_id__in=claimant_ids).update(
        agreed_by=placeholder
    )
    Review.objects.filter(claim_id__in=claim_ids).update(reasons="", outcome_reasons="")
    Review.objects.filter(claim_id__in=claim_ids, requested_by_id__in=claimant_ids).update(
        requested_by=placeholder
    )
    Reserve.objects.filter(claim_id__in=claim_ids).update(reason="")
    _rows_delete(BankDetails.objects.filter(claim_id__in=claim_ids))
    _rows_delete(ContactCorrection.objects.filter(claim_id__in=claim_ids))
    _rows_delete(
        Notification.objects.filter(
            Q(claim_id__in=claim_ids) | Q(authority__claim_id__in=claim_ids)
        )
    )
    _rows_delete(Authority.objects.filter(claim_id__in=claim_ids))


def _rows_delete(rows: QuerySet) -> int:
    """Delete in one statement whatever the number of rows: QuerySet.delete() fetches them and
    deletes 100 at a time, so a batch's queries would grow with its size. Callers have removed
    or detached every row that points at these first; the database's foreign keys refuse the
    commit if one was missed, so nothing is left dangling."""
    return rows._raw_delete(rows.db)


def _audit_rows(claim_ids: list, *, counts: dict) -> None:
    """One row per claim anonymised, in one statement."""
    origin = current_origin()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action=AuditAction.CHANGE,
            object_type="intake.claim",
            object_id=str(pk),
            ip_address=origin.ip_address,
            user_agent=origin.user_agent,
            detail={"anonymised": True, "reason": "retention", "documents": counts[pk]},
        )
        for pk in claim_ids
    )


def _former_claimants_anonymise(claimant_ids: list, *, exclude: int) -> int:
    """Anonymise the accounts of former claimants who have no claim left, draft or other."""
    gone = list(
        User.objects.filter(pk__in=claimant_ids)
        .exclude(pk=exclude)
        .exclude(Exists(Claim.objects.filter(claimant_id=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    if gone:
        accounts_anonymise(user_ids=gone)
    return len(gone)


def accounts_anonymise(*, user_ids: list[int]) -> None:
    """Empty the accounts of everything that names the person, in a fixed number of queries.

    The user row stays, inactive and without a usable password or address: the append-only audit
    log points at it (who signed in, who viewed what), and those rows may not change. Precondition:
    the accounts have no claims left and no legal hold."""
    User.objects.filter(pk__in=user_ids).update(
        email=Concat(Value("erased-"), Cast("pk", CharField()), Value("@invalid")),
        full_name="",
        password=make_password(None),
        is_active=False,
        last_login=None,
        advocate_verified_at=None,
    )
    _rows_delete(EmailConfirmation.objects.filter(email_address__user_id__in=user_ids))
    _rows_delete(EmailAddress.objects.filter(user_id__in=user_ids))
    _rows_delete(Authenticator.objects.filter(user_id__in=user_ids))
    # Authorities they granted end with them (with the rows telling of them); those they held
    # as an advocate are revoked.
    _rows_delete(
        Notification.objects.filter(
            Q(recipient_id__in=user_ids)
            | Q(actor_id__in=user_ids)
            | Q(authority__patient_id__in=user_ids)
        )
    )
    _rows_delete(NotificationPreference.objects.filter(user_id__in=user_ids))
    _rows_delete(EmailDigest.objects.filter(user_id__in=user_ids))
    _rows_delete(Authority.objects.filter(patient_id__in=user_ids))
    Authority.objects.filter(advocate_id__in=user_ids, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def notifications_purge_old(*, now: datetime.datetime) -> int:
    """Delete outbox rows older than PRIVACY_NOTIFICATION_RETENTION_DAYS that are done with
    (sent, read, failed or withdrawn: a row still to be sent stays), except those of
    held claims."""
    from notifications.models import State

    cutoff = now - datetime.timedelta(days=settings.PRIVACY_NOTIFICATION_RETENTION_DAYS)
    done = [State.SENT, State.READ, State.FAILED, State.WITHDRAWN]
    old = Notification.objects.filter(created_at__lt=cutoff, state__in=done)
    return _rows_delete(old.exclude(claim_id__in=held_claim_ids()))
