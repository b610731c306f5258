"""What a subject access export says about one patient: every record the portal holds about
them as JSON, and the accounting of disclosures (who viewed or downloaded their data, when) as
CSV, read with a fixed number of queries per claim.

Only the patient's own claims (as claimant) are read, so nothing of another person's claim can
enter their copy; staff are named as the portal shows them to the patient (name and role).
Bank details are masked as on the case pages; the encrypted columns are never decrypted whole.
"""

import csv
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q

from documents.models import Document
from intake.models import Authority, Claim
from notifications.models import Notification
from portal.models import AuditAction, AuditEvent, User
from resolution.models import BankDetails
from resolution.payments import ShownBankDetails, bank_details_masked

logger = logging.getLogger(__name__)

#: The claim's own answers and dates, as the patient gave them or the portal set them.
CLAIM_FIELDS = (
    "reference",
    "status",
    "created_at",
    "submitted_at",
    "date_of_birth",
    "phone",
    "address",
    "nhs_number",
    "provider_not_listed",
    "incident_date",
    "knowledge_date",
    "harm_category",
    "description",
    "severity",
    "injuries",
    "ongoing_treatment",
    "losses",
    "claimed_amount",
    "time_off_work_days",
    "statement_of_truth",
    "consent_to_share",
    "consent_to_records",
    "limitation_deadline",
    "acknowledge_by",
    "decide_by",
    "authority_status",
)


@dataclass(frozen=True)
class ExportFile:
    """A document or letter to copy into the zip, streamed from its object."""

    arcname: str
    storage_key: str
    size: int
    sha256: str


def as_json(value) -> bytes:
    return json.dumps(value, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False).encode()


def _person(user: User | None) -> dict | None:
    """How a person appears in the copy: their name and role (not their address or login)."""
    if user is None:
        return None
    return {"name": user.get_full_name(), "role": user.get_role_display()}


def claim_label(claim: Claim) -> str:
    """The folder a claim's files go in: its reference, or "draft-<id>" before submission."""
    return claim.reference or f"draft-{str(claim.pk)[:8]}"


def patient_claims(patient: User) -> list[Claim]:
    return list(
        Claim.objects.filter(claimant=patient)
        .select_related("provider", "insurer", "assigned_adjuster", "filed_by")
        .order_by("created_at", "id")
    )


def account_record(patient: User) -> dict:
    return {
        "email": patient.email,
        "full_name": patient.full_name,
        "role": patient.get_role_display(),
        "date_joined": patient.date_joined,
        "last_login": patient.last_login,
        "is_active": patient.is_active,
        "notification_preferences": [
            {"event": p.kind, "channel": p.channel, "enabled": p.enabled}
            for p in patient.notification_preferences.order_by("kind", "channel")
        ],
    }


def claim_record(claim: Claim) -> dict:
    """Everything held on one claim: its answers, history, messages, information requests,
    offers and answers, settlement and payments, bank details (masked), reviews, authorities,
    contact corrections, and the list of its documents."""
    record = {field: getattr(claim, field) for field in CLAIM_FIELDS}
    record["status_label"] = claim.get_status_display()
    record["provider"] = str(claim.provider) if claim.provider_id else None
    record["insurer"] = claim.insurer.name if claim.insurer_id else None
    record["claims_handler"] = _person(claim.assigned_adjuster)
    record["filed_by"] = _person(claim.filed_by)
    record["status_history"] = [
        {
            "from": change.from_status,
            "to": change.to_status,
            "by": _person(change.actor),
            "reason": change.reason,
            "at": change.occurred_at,
        }
        for change in claim.status_changes.select_related("actor").order_by("occurred_at", "id")
    ]
    record["messages"] = [
        {"from": _person(m.author), "body": m.body, "sent_at": m.sent_at}
        for m in claim.messages.select_related("author").order_by("sent_at", "id")
    ]
    record["information_requests"] = [
        {
            "asked": r.message.body,
            "asked_at": r.message.sent_at,
            "reply_by": r.due_date,
            "answered_at": r.answered_at,
        }
        for r in claim.information_requests.select_related("message").order_by("id")
    ]
    record.update(_resolution_records(claim))
    record["contact_corrections"] = _contact_corrections(claim)
    record["documents"] = [
        {
            "name": d.original_name,
            "category": d.get_category_display(),
            "letter": d.get_letter_kind_display() if d.letter_kind else None,
            "sent_by": _person(d.uploader),
            "sent_at": d.created_at,
            "bytes": d.size,
            "sha256": d.sha256,
            "status": d.status_label,
            "in_this_copy": d.is_downloadable,
        }
        for d in claim.documents.select_related("uploader").order_by("created_at", "id")
    ]
    return record


def _resolution_records(claim: Claim) -> dict:
    offers = list(claim.offers.select_related("made_by", "answered_by").order_by("round"))
    settlement = getattr(claim, "settlement", None)  # None: the claim has no settlement
    bank = BankDetails.objects.filter(claim=claim).first()
    shown = _masked(bank) if bank else None
    return {
        "offers": [
            {
                "round": o.round,
                "made_by": _person(o.made_by),
                "made_at": o.made_at,
                "amount": o.amount,
                "breakdown": o.breakdown,
                "terms": o.terms,
                "answer_by": o.respond_by,
                "state": o.get_state_display(),
                "answered_by": _person(o.answered_by),
                "answered_at": o.answered_at,
                "answer_reasons": o.answer_reasons,
                "counter_amount": o.counter_amount,
            }
            for o in offers
        ],
        "settlement": (
            {
                "amount": settlement.amount,
                "agreed_by": _person(settlement.agreed_by),
                "agreed_at": settlement.agreed_at,
                "payments": [
                    {
                        "amount": p.amount,
                        "paid_on": p.paid_on,
                        "method": p.get_method_display(),
                        "finance_reference": p.finance_reference,
                    }
                    for p in settlement.payments.order_by("paid_on", "id")
                ],
            }
            if settlement
            else None
        ),
        "bank_details_masked": (
            {
                "account_name": shown.account_name,
                "sort_code": shown.sort_code,
                "account_number": shown.account_number,
                "given_at": shown.given_at,
                "readable": shown.readable,
            }
            if shown
            else None
        ),
        "reviews": [
            {
                "decision_reviewed": r.decision_status,
                "asked_at": r.requested_at,
                "reasons": r.reasons,
                "decide_by": r.decide_by,
                "reviewer": _person(r.reviewer),
                "outcome": r.get_outcome_display() if r.outcome else None,
                "outcome_reasons": r.outcome_reasons,
                "outcome_at": r.outcome_at,
            }
            for r in claim.reviews.select_related("reviewer").order_by("requested_at", "id")
        ],
    }


def _masked(bank: BankDetails) -> ShownBankDetails:
    """The masked details; a process with no key configured still writes the rest of the copy
    (the details are marked unreadable, and operations told by the log)."""
    try:
        return bank_details_masked(bank)
    except ImproperlyConfigured:
        logger.error(
            "Export: no bank details key is configured; claim %s's are left out.", bank.claim_id
        )
        return ShownBankDetails("", "", "", bank.given_at, readable=False)


def _contact_corrections(claim: Claim) -> list[dict]:
    # Corrections are the retention area's records (privacy.ContactCorrection); read through the
    # claim's reverse relation so the copy lists them whenever that model is installed.
    corrections = getattr(claim, "contact_corrections", None)
    if corrections is None:
        return []
    return [
        {
            "by": _person(c.corrected_by),
            "at": c.corrected_at,
            "before": c.before,
            "after": c.after,
        }
        for c in corrections.select_related("corrected_by").order_by("corrected_at", "id")
    ]


def authorities_record(patient: User) -> list[dict]:
    authorities = (
        Authority.objects.filter(patient=patient)
        .select_related("advocate", "claim")
        .order_by("created_at", "id")
    )
    return [
        {
            "advocate": _person(a.advocate),
            "invited_email": a.invited_email,
            "claim": claim_label(a.claim) if a.claim_id else "all claims",
            "may_also": [str(scope) for scope in a.scopes],
            "ends_after": a.expires_on,
            "invited_at": a.created_at,
            "accepted_at": a.accepted_at,
            "ended_at": a.revoked_at,
            "state": a.state(),
        }
        for a in authorities
    ]


def notifications_record(patient: User) -> list[dict]:
    rows = (
        Notification.objects.filter(recipient=patient)
        .select_related("claim")
        .order_by("created_at", "id")
    )
    return [
        {
            "event": n.kind,
            "title": n.title,
            "channel": n.get_channel_display(),
            "claim": claim_label(n.claim) if n.claim_id else None,
            "state": n.get_state_display(),
            "created_at": n.created_at,
            "sent_at": n.sent_at,
            "read_at": n.read_at,
        }
        for n in rows.iterator(chunk_size=500)
    ]


def export_files(claims: list[Claim]) -> list[ExportFile]:
    """The clean documents and the portal's letters of `claims`, each with its path in the zip
    (documents/<claim>/ or letters/<claim>/, numbered so two files of one name both fit)."""
    labels = {claim.pk: claim_label(claim) for claim in claims}
    documents = Document.objects.filter(claim__in=claims).order_by("claim_id", "created_at", "id")
    files, numbers = [], {}
    for document in documents.iterator(chunk_size=500):
        if not document.is_downloadable:
            continue
        folder = "letters" if document.letter_kind else "documents"
        place = (folder, document.claim_id)
        numbers[place] = numbers.get(place, 0) + 1
        name = document.original_name.replace("/", "_").replace("\\", "_")
        files.append(
            ExportFile(
                arcname=f"{folder}/{labels[document.claim_id]}/{numbers[place]:03d} {name}",
                storage_key=document.storage_key,
                size=document.size,
                sha256=document.sha256,
            )
        )
    return files


DISCLOSURE_COLUMNS = ("when_utc", "who", "role", "organisation", "what", "record", "record_id")
_OBJECT_NAMES = {
    "intake.claim": "claim",
    "documents.document": "document",
    "portal.user": "your account",
    "privacy.exportrequest": "copy of your data",
}


def disclosures(*, patient: User, claims: list[Claim]) -> Iterator[dict]:
    """Who viewed or downloaded the patient's data, and when, from the audit log: views of their
    claims, their documents, their account and their exports, by anyone but themselves."""
    claim_ids = [str(claim.pk) for claim in claims]
    document_ids = [
        str(pk) for pk in Document.objects.filter(claim__in=claims).values_list("pk", flat=True)
    ]
    about = (
        Q(object_type="intake.claim", object_id__in=claim_ids)
        | Q(object_type="documents.document", object_id__in=document_ids)
        | Q(object_type="portal.user", object_id=str(patient.pk))
        | Q(
            object_type="privacy.exportrequest",
            object_id__in=[str(pk) for pk in patient.data_exports.values_list("pk", flat=True)],
        )
    )
    events = (
        AuditEvent.objects.filter(about, action=AuditAction.VIEW)
        .exclude(actor=patient)
        .select_related("actor", "actor__insurer")
        .order_by("occurred_at", "id")
    )
    labels = {str(claim.pk): claim_label(claim) for claim in claims}
    for event in events.iterator(chunk_size=1000):
        actor = event.actor
        yield {
            "when_utc": event.occurred_at.isoformat(),
            "who": actor.get_full_name() if actor else "the portal",
            "role": actor.get_role_display() if actor else "",
            "organisation": actor.insurer.name if actor and actor.insurer_id else "",
            "what": "downloaded" if (event.detail or {}).get("download") else "viewed",
            "record": _OBJECT_NAMES.get(event.object_type, event.object_type),
            "record_id": labels.get(event.object_id, event.object_id),
        }


def disclosures_csv(rows: Iterator[dict]) -> Iterator[bytes]:
    """The accounting of disclosures as CSV, produced a row at a time."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=DISCLOSURE_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
