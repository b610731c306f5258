"""Which changes are announced to webhooks, and from where. Each receiver runs inside the
transaction of its change, so the outbox rows commit or roll back with it:

- intake's claim_moved and claim_message_posted are sent inside their transactions;
- a document's clean verdict is saved in documents' `_scan_record` transaction, and a payment in
  `resolution.payments.payment_record`'s: their post_save fires in it (checked by the tests, which
  roll such a change back and find no delivery).

Connected in ApiConfig.ready().
"""

from django.db.models.signals import post_save

from api.webhooks import webhook_events_record
from api.webhooks_models import EventType
from documents.models import Document, ScanStatus
from intake.models import ClaimMessage, ClaimStatus
from resolution.models import Payment

#: The patient's side answering an open offer.
OFFER_ANSWERS = (ClaimStatus.SETTLED, ClaimStatus.COUNTER_PROPOSED, ClaimStatus.OFFER_DECLINED)
#: States a claim leaves when it first reaches its insurer (routed, or chosen by hand).
BEFORE_THE_INSURER = (ClaimStatus.SUBMITTED, ClaimStatus.NEEDS_TRIAGE)


def claim_moved(sender, *, claim, from_status, to_status, change_id, **kwargs) -> None:
    webhook_events_record(
        claim=claim, event_type=EventType.CLAIM_STATUS_CHANGED, event_key=f"move:{change_id}"
    )
    # A claim has no insurer when submitted; the insurer hears of it once it is theirs. Keyed by
    # claim, so a claim sent back to triage and routed again is announced once.
    if from_status in BEFORE_THE_INSURER or to_status == ClaimStatus.SUBMITTED:
        webhook_events_record(
            claim=claim, event_type=EventType.CLAIM_SUBMITTED, event_key=f"submitted:{claim.pk}"
        )
    if to_status == ClaimStatus.OFFER_MADE:
        webhook_events_record(
            claim=claim, event_type=EventType.OFFER_MADE, event_key=f"offer-made:{change_id}"
        )
    if from_status == ClaimStatus.OFFER_MADE and to_status in OFFER_ANSWERS:
        webhook_events_record(
            claim=claim,
            event_type=EventType.OFFER_ANSWERED,
            event_key=f"offer-answered:{change_id}",
        )


def claim_message_posted(sender, *, message: ClaimMessage, **kwargs) -> None:
    webhook_events_record(
        claim=message.claim,
        event_type=EventType.CLAIM_MESSAGE_POSTED,
        event_key=f"message:{message.pk}",
        extra={"message_id": message.pk},
    )


def document_saved(sender, *, instance: Document, **kwargs) -> None:
    # Every save of a clean document passes here (a rescan, say); the key keeps it to one
    # announcement per document.
    if instance.scan_status != ScanStatus.CLEAN or instance.withdrawn_at is not None:
        return
    webhook_events_record(
        claim=instance.claim,
        event_type=EventType.DOCUMENT_CLEAN,
        event_key=f"document-clean:{instance.pk}",
        extra={"document_id": str(instance.pk)},
    )


def payment_saved(sender, *, instance: Payment, created: bool, **kwargs) -> None:
    if not created:
        return
    webhook_events_record(
        claim=instance.settlement.claim,
        event_type=EventType.PAYMENT_MADE,
        event_key=f"payment:{instance.pk}",
        extra={"payment_id": instance.pk},
    )


def connect() -> None:
    from intake import signals

    signals.claim_moved.connect(claim_moved, dispatch_uid="api.webhooks.claim_moved")
    signals.claim_message_posted.connect(
        claim_message_posted, dispatch_uid="api.webhooks.claim_message_posted"
    )
    post_save.connect(document_saved, sender=Document, dispatch_uid="api.webhooks.document")
    post_save.connect(payment_saved, sender=Payment, dispatch_uid="api.webhooks.payment")
