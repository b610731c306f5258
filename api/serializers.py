"""What the API shows of claims and their parts, and what it reads from a request. Read
serializers name no storage key and no other insurer's data; write serializers only parse,
the services decide (their ClaimError messages come back as problem+json)."""

from rest_framework import serializers

from documents.models import Document, LetterKind
from intake.models import (
    AuthorityStatus,
    Claim,
    ClaimMessage,
    ClaimStatusChange,
    HarmCategory,
    InformationRequest,
    Severity,
)
from resolution.models import HeadOfLoss, Offer, Payment, PaymentMethod, Reserve
from triage.models import ClaimNote

# --- Claims -------------------------------------------------------------------------------------


def _maybe_blank(choices) -> serializers.ChoiceField:
    """A choice the patient may not have made yet: one of `choices`, or "" (in the schema too)."""
    return serializers.ChoiceField(choices=choices, allow_blank=True, read_only=True)


class ClaimSummarySerializer(serializers.ModelSerializer):
    """A claim in the list: what an insurer's system needs to decide what to fetch."""

    provider = serializers.CharField(source="provider_display", read_only=True)
    team = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    assigned_adjuster = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "reference",
            "status",
            "provider",
            "team",
            "assigned_adjuster",
            "priority",
            "submitted_at",
            "updated_at",
            "acknowledge_by",
            "decide_by",
        ]
        read_only_fields = fields


class ClaimantSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    full_name = serializers.CharField()
    email = serializers.EmailField()


class ClaimAnswersSerializer(serializers.ModelSerializer):
    """The patient's answers, as they gave them."""

    harm_category = _maybe_blank(HarmCategory.choices)
    severity = _maybe_blank(Severity.choices)

    class Meta:
        model = Claim
        fields = [
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
            "consent_to_share",
            "consent_to_records",
        ]
        read_only_fields = fields


class ClaimDetailSerializer(ClaimSummarySerializer):
    claimant = ClaimantSerializer(read_only=True)
    answers = ClaimAnswersSerializer(source="*", read_only=True)
    authority_status = _maybe_blank(AuthorityStatus.choices)
    etag = serializers.SerializerMethodField()

    class Meta(ClaimSummarySerializer.Meta):
        fields = [
            *ClaimSummarySerializer.Meta.fields,
            "claimant",
            "limitation_deadline",
            "authority_status",
            "answers",
            "etag",
        ]
        read_only_fields = fields

    def get_etag(self, claim) -> str:
        return self.context["etag"]


class StatusChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClaimStatusChange
        fields = ["id", "from_status", "to_status", "actor", "reason", "occurred_at"]
        read_only_fields = fields


# --- Documents ----------------------------------------------------------------------------------


class DocumentSerializer(serializers.ModelSerializer):
    """Metadata only: no storage key; the content through the download link."""

    downloadable = serializers.BooleanField(source="is_downloadable", read_only=True)
    letter_kind = _maybe_blank(LetterKind.choices)

    class Meta:
        model = Document
        fields = [
            "id",
            "category",
            "letter_kind",
            "original_name",
            "size",
            "sha256",
            "content_type",
            "scan_status",
            "downloadable",
            "created_at",
        ]
        read_only_fields = fields


class DownloadLinkSerializer(serializers.Serializer):
    url = serializers.URLField()
    expires_in = serializers.IntegerField(help_text="Seconds the link stays valid.")


# --- Messages, information requests, notes ------------------------------------------------------


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClaimMessage
        fields = ["id", "author", "body", "sent_at"]
        read_only_fields = ["id", "author", "sent_at"]
        extra_kwargs = {"body": {"max_length": 5000, "trim_whitespace": True}}


class InformationRequestSerializer(serializers.ModelSerializer):
    body = serializers.CharField(source="message.body", read_only=True)

    class Meta:
        model = InformationRequest
        fields = ["id", "body", "due_date", "answered_at"]
        read_only_fields = fields


class InformationRequestCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000, help_text="What the patient is asked for.")
    due_date = serializers.DateField(help_text="Reply by; after today.")


class NoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClaimNote
        fields = ["id", "author", "body", "written_at"]
        read_only_fields = ["id", "author", "written_at"]
        extra_kwargs = {"body": {"max_length": 5000}}


# --- Moves and decisions ------------------------------------------------------------------------


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why; required to deny and to reopen (the patient sees a denial's reason).",
    )


class AssignmentSerializer(serializers.Serializer):
    adjuster = serializers.IntegerField(
        required=False, allow_null=True, help_text="An adjuster of your insurer; or leave out."
    )
    team = serializers.IntegerField(
        required=False, allow_null=True, help_text="A team of your insurer (default: the claim's)."
    )
    reason = serializers.CharField(max_length=2000)


class BreakdownRowSerializer(serializers.Serializer):
    head = serializers.ChoiceField(choices=HeadOfLoss.choices)
    past = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, default="0")
    future = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, default="0")


class OfferCreateSerializer(serializers.Serializer):
    breakdown = BreakdownRowSerializer(many=True, allow_empty=False)
    terms = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    respond_by = serializers.DateField(
        required=False, allow_null=True, help_text="Default: the jurisdiction's days to answer."
    )


class OfferSerializer(serializers.ModelSerializer):
    class Meta:
        model = Offer
        fields = [
            "id",
            "round",
            "amount",
            "breakdown",
            "terms",
            "respond_by",
            "state",
            "made_at",
            "answered_at",
            "counter_amount",
        ]
        read_only_fields = fields


class SettlementSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    agreed_at = serializers.DateTimeField()


class ReserveSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reserve
        fields = ["id", "amount", "reason", "set_at"]
        read_only_fields = ["id", "set_at"]
        extra_kwargs = {"amount": {"min_value": 0}}


class PaymentSerializer(serializers.ModelSerializer):
    method = serializers.ChoiceField(choices=PaymentMethod.choices)

    class Meta:
        model = Payment
        fields = ["id", "amount", "paid_on", "method", "finance_reference", "recorded_at"]
        read_only_fields = ["id", "recorded_at"]
