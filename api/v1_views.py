"""Version 1 of the API's resources: an insurer's system reads its claims and works them through
the same doors as the staff pages (selectors for reads, services for changes, the lifecycle for
every move), acting as its client's service user. Every read of a claim, document or person is
audited; every POST is idempotent (api.idempotency) and every update checks If-Match
(api.etags)."""

from django.conf import settings
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from api import serializers as s
from api.etags import claim_check_if_match, claim_etag
from api.filters import ClaimFilter
from api.idempotency import idempotent
from api.problems import Conflict
from api.schema import IDEMPOTENCY_KEY, if_match
from api.scopes import CLAIMS_READ, CLAIMS_WRITE, DOCUMENTS_READ
from documents import selectors as documents_selectors
from documents import services as documents_services
from intake import access as claim_access
from intake import selectors as intake_selectors
from intake import services as intake_services
from intake.models import Claim, ClaimStatus
from portal.access import refuse
from portal.models import AuditAction, Role, User
from portal.services import audit_event_record, audit_views_record
from resolution import offers as resolution_offers
from resolution import payments as resolution_payments
from resolution.models import Offer, Settlement
from triage import services as triage_services
from triage.models import Team

UUID = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"

IF_MATCH = if_match("claim")

#: The simple moves: the status each leads to (as the staff page's buttons).
MOVES = {
    "acknowledge": ClaimStatus.UNDER_REVIEW,
    "deny": ClaimStatus.DENIED,
    "close": ClaimStatus.CLOSED,
    "reopen": ClaimStatus.UNDER_REVIEW,
}


#: The claim's own parts are short lists in full: no cursor, no claims-list filters.
NOT_A_LIST = {"pagination_class": None, "filter_backends": []}


class ClaimCursorPagination(CursorPagination):
    # The reference is unique, indexed, set at submission and never changed: a stable order
    # (of submission) that the cursor seeks into, so page N costs what page 1 does.
    ordering = "reference"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ClaimStateSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    etag = serializers.CharField()


def _state(claim: Claim, *, code: int = status.HTTP_200_OK, data=None) -> Response:
    """The answer to a change: what it made (or the claim's new state) and the claim's ETag."""
    fresh = Claim.objects.get(pk=claim.pk)
    etag = claim_etag(fresh)
    body = (
        data
        if data is not None
        else {
            "id": str(fresh.pk),
            "reference": fresh.reference,
            "status": fresh.status,
            "etag": etag,
        }
    )
    return Response(body, status=code, headers={"ETag": etag})


@extend_schema_view(
    list=extend_schema(summary="List your insurer's claims", tags=["claims"]),
    retrieve=extend_schema(summary="A claim with the patient's answers", tags=["claims"]),
)
class ClaimViewSet(viewsets.GenericViewSet):
    """Claims of the client's insurer (never drafts)."""

    required_scopes = {"GET": CLAIMS_READ, "POST": CLAIMS_WRITE}
    serializer_class = s.ClaimSummarySerializer
    pagination_class = ClaimCursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ClaimFilter
    lookup_value_regex = UUID
    queryset = Claim.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return claim_access.claims_visible_to(self.request.user).select_related("provider")

    def get_serializer_class(self):
        return s.ClaimDetailSerializer if self.action == "retrieve" else s.ClaimSummarySerializer

    # --- Reads ----------------------------------------------------------------------------

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        audit_views_record(actor=request.user, objects=page, detail={"via": "api"})
        return self.get_paginated_response(s.ClaimSummarySerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        claim = self._claim(pk)
        if not claim_access.claim_may_read_answers(request.user, claim):
            refuse(user=request.user, object_type="intake.claim", object_id=pk, reason="answers")
        audit_event_record(action=AuditAction.VIEW, actor=request.user, obj=claim.claimant)
        etag = claim_etag(claim)
        data = s.ClaimDetailSerializer(claim, context={"etag": etag}).data
        return Response(data, headers={"ETag": etag})

    @extend_schema(
        summary="The claim's status changes",
        tags=["claims"],
        responses=s.StatusChangeSerializer(many=True),
    )
    @action(detail=True, methods=["get"], serializer_class=s.StatusChangeSerializer, **NOT_A_LIST)
    def timeline(self, request, pk=None):
        claim = self._claim(pk)
        changes = intake_selectors.claim_timeline(claim=claim)
        return Response(s.StatusChangeSerializer(changes, many=True).data)

    # --- Documents --------------------------------------------------------------------------

    @extend_schema(
        summary="The claim's documents (metadata)",
        tags=["documents"],
        responses=s.DocumentSerializer(many=True),
    )
    @action(
        detail=True,
        methods=["get"],
        serializer_class=s.DocumentSerializer,
        required_scopes=DOCUMENTS_READ,
        **NOT_A_LIST,
    )
    def documents(self, request, pk=None):
        claim = self._claim(pk)
        documents = list(documents_selectors.document_list_for_user(user=request.user, claim=claim))
        audit_views_record(actor=request.user, objects=documents, detail={"via": "api"})
        return Response(s.DocumentSerializer(documents, many=True).data)

    @extend_schema(
        summary="One document's metadata", tags=["documents"], operation_id="v1_claims_document"
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=rf"documents/(?P<document_id>{UUID})",
        serializer_class=s.DocumentSerializer,
        required_scopes=DOCUMENTS_READ,
        **NOT_A_LIST,
    )
    def document(self, request, pk=None, document_id=None):
        document = self._document(pk, document_id)
        audit_event_record(action=AuditAction.VIEW, actor=request.user, obj=document)
        return Response(s.DocumentSerializer(document).data)

    @extend_schema(
        summary="A short-lived link to a document's content (only once it is clean)",
        tags=["documents"],
        operation_id="v1_claims_document_download",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=rf"documents/(?P<document_id>{UUID})/download",
        serializer_class=s.DownloadLinkSerializer,
        required_scopes=DOCUMENTS_READ,
        **NOT_A_LIST,
    )
    def document_download(self, request, pk=None, document_id=None):
        document = self._document(pk, document_id)
        try:
            url = documents_services.document_download_url(document=document, user=request.user)
        except documents_services.DocumentNotReady as error:
            raise Conflict(str(error)) from error
        return Response({"url": url, "expires_in": settings.S3_PRESIGNED_URL_SECONDS})

    # --- Messages, information requests, notes ----------------------------------------------

    @extend_schema(
        methods=["GET"],
        summary="The claim's messages",
        tags=["messages"],
        responses=s.MessageSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Send a message to the patient's side",
        tags=["messages"],
        parameters=[IDEMPOTENCY_KEY],
        responses={201: s.MessageSerializer},
    )
    @action(
        detail=True, methods=["get", "post"], serializer_class=s.MessageSerializer, **NOT_A_LIST
    )
    def messages(self, request, pk=None):
        claim = self._claim(pk)
        if request.method == "GET":
            if not claim_access.claim_may_read_thread(request.user, claim):
                refuse(user=request.user, object_type="intake.claim", object_id=pk, reason="thread")
            messages = intake_selectors.claim_messages(claim=claim)
            return Response(s.MessageSerializer(messages, many=True).data)

        def send():
            body = self._valid(s.MessageSerializer)["body"]
            message = intake_services.claim_message_send(
                claim=claim, author=request.user, body=body
            )
            return Response(s.MessageSerializer(message).data, status=status.HTTP_201_CREATED)

        return idempotent(self, request, send)

    @extend_schema(
        methods=["GET"],
        summary="The claim's information requests",
        tags=["information requests"],
        responses=s.InformationRequestSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Ask the patient for information (the claim waits for the answer)",
        tags=["information requests"],
        parameters=[IDEMPOTENCY_KEY, IF_MATCH],
        request=s.InformationRequestCreateSerializer,
        responses={201: s.InformationRequestSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="information-requests",
        serializer_class=s.InformationRequestSerializer,
        **NOT_A_LIST,
    )
    def information_requests(self, request, pk=None):
        claim = self._claim(pk)
        if request.method == "GET":
            requests = claim.information_requests.select_related("message").order_by("id")
            return Response(s.InformationRequestSerializer(requests, many=True).data)

        def ask():
            data = self._valid(s.InformationRequestCreateSerializer)
            claim_check_if_match(request, claim)
            asked = triage_services.claim_request_information(
                claim=claim, adjuster=request.user, body=data["body"], due_date=data["due_date"]
            )
            asked = type(asked).objects.select_related("message").get(pk=asked.pk)
            return _state(claim, code=201, data=s.InformationRequestSerializer(asked).data)

        return idempotent(self, request, ask)

    @extend_schema(
        methods=["GET"],
        summary="The claim's internal notes",
        tags=["notes"],
        responses=s.NoteSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Add an internal note (never shown to the patient's side)",
        tags=["notes"],
        parameters=[IDEMPOTENCY_KEY],
        responses={201: s.NoteSerializer},
    )
    @action(detail=True, methods=["get", "post"], serializer_class=s.NoteSerializer, **NOT_A_LIST)
    def notes(self, request, pk=None):
        claim = self._claim(pk)
        if request.method == "GET":
            if not claim_access.claim_may_read_notes(request.user, claim):
                refuse(user=request.user, object_type="intake.claim", object_id=pk, reason="notes")
            notes = claim.notes.order_by("written_at", "id")
            return Response(s.NoteSerializer(notes, many=True).data)

        def add():
            body = self._valid(s.NoteSerializer)["body"]
            note = triage_services.claim_note_add(claim=claim, author=request.user, body=body)
            return Response(s.NoteSerializer(note).data, status=status.HTTP_201_CREATED)

        return idempotent(self, request, add)

    # --- Assignment and moves ---------------------------------------------------------------

    @extend_schema(
        summary="Assign the claim to an adjuster, or by the rules within a team",
        tags=["moves"],
        parameters=[IDEMPOTENCY_KEY, IF_MATCH],
        request=s.AssignmentSerializer,
        responses={200: ClaimStateSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=s.AssignmentSerializer, **NOT_A_LIST)
    def assignment(self, request, pk=None):
        claim = self._claim(pk)

        def assign():
            data = self._valid(s.AssignmentSerializer)
            adjuster = self._of_insurer(
                User.objects.filter(role=Role.ADJUSTER, is_active=True),
                data.get("adjuster"),
                field="adjuster",
                what="an active adjuster",
            )
            team = self._of_insurer(
                Team.objects.all(), data.get("team"), field="team", what="a team"
            )
            claim_check_if_match(request, claim)
            triage_services.claim_assign(
                claim=claim, lead=request.user, reason=data["reason"], adjuster=adjuster, team=team
            )
            return _state(claim)

        return idempotent(self, request, assign)

    def _move(self, request, pk, to_status):
        claim = self._claim(pk)

        def move():
            reason = self._valid(s.ReasonSerializer)["reason"]
            claim_check_if_match(request, claim)
            intake_services.claim_transition(
                claim=claim, to_status=to_status, actor=request.user, reason=reason
            )
            return _state(claim)

        return idempotent(self, request, move)

    def _move_schema(summary):  # noqa: N805 - a decorator factory used in the class body
        return extend_schema(
            summary=summary,
            tags=["moves"],
            parameters=[IDEMPOTENCY_KEY, IF_MATCH],
            request=s.ReasonSerializer,
            responses={200: ClaimStateSerializer},
        )

    @_move_schema("Acknowledge the claim: it is now under review")
    @action(detail=True, methods=["post"], serializer_class=s.ReasonSerializer, **NOT_A_LIST)
    def acknowledge(self, request, pk=None):
        return self._move(request, pk, MOVES["acknowledge"])

    @_move_schema("Deny the claim (reason required; the patient sees it)")
    @action(detail=True, methods=["post"], serializer_class=s.ReasonSerializer, **NOT_A_LIST)
    def deny(self, request, pk=None):
        return self._move(request, pk, MOVES["deny"])

    @_move_schema("Close a denied claim")
    @action(detail=True, methods=["post"], serializer_class=s.ReasonSerializer, **NOT_A_LIST)
    def close(self, request, pk=None):
        return self._move(request, pk, MOVES["close"])

    @_move_schema("Reopen a denied or closed claim for review (reason required)")
    @action(detail=True, methods=["post"], serializer_class=s.ReasonSerializer, **NOT_A_LIST)
    def reopen(self, request, pk=None):
        return self._move(request, pk, MOVES["reopen"])

    # --- Offers, settlement, reserves, payments ---------------------------------------------

    @extend_schema(
        methods=["GET"],
        summary="The claim's offers, round by round",
        tags=["offers"],
        responses=s.OfferSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Make an offer (or a revised one after the patient's answer)",
        tags=["offers"],
        parameters=[IDEMPOTENCY_KEY, IF_MATCH],
        request=s.OfferCreateSerializer,
        responses={201: s.OfferSerializer},
    )
    @action(detail=True, methods=["get", "post"], serializer_class=s.OfferSerializer, **NOT_A_LIST)
    def offers(self, request, pk=None):
        claim = self._claim(pk)
        if request.method == "GET":
            offers = Offer.objects.filter(claim=claim).order_by("round")
            return Response(s.OfferSerializer(offers, many=True).data)

        def make():
            data = self._valid(s.OfferCreateSerializer)
            claim_check_if_match(request, claim)
            offer = resolution_offers.offer_make(
                claim=claim,
                adjuster=request.user,
                breakdown=[
                    {"head": row["head"], "past": str(row["past"]), "future": str(row["future"])}
                    for row in data["breakdown"]
                ],
                terms=data["terms"],
                respond_by=data.get("respond_by"),
            )
            return _state(claim, code=201, data=s.OfferSerializer(offer).data)

        return idempotent(self, request, make)

    @extend_schema(
        summary="Settle: accept the patient's counter-proposal on the latest offer",
        tags=["offers"],
        parameters=[IDEMPOTENCY_KEY, IF_MATCH],
        request=None,
        responses={201: s.SettlementSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=s.SettlementSerializer, **NOT_A_LIST)
    def settle(self, request, pk=None):
        claim = self._claim(pk)

        def settle():
            claim_check_if_match(request, claim)
            offer = Offer.objects.filter(claim=claim).order_by("-round").first()
            if offer is None:
                raise Conflict("There is no counter-proposal waiting for your answer.")
            settlement = resolution_offers.offer_accept_counter(offer=offer, adjuster=request.user)
            return _state(claim, code=201, data=s.SettlementSerializer(settlement).data)

        return idempotent(self, request, settle)

    @extend_schema(
        methods=["GET"],
        summary="The reserve's history, latest last",
        tags=["money"],
        responses=s.ReserveSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Set the reserve, with the reason",
        tags=["money"],
        parameters=[IDEMPOTENCY_KEY, IF_MATCH],
        responses={201: s.ReserveSerializer},
    )
    @action(
        detail=True, methods=["get", "post"], serializer_class=s.ReserveSerializer, **NOT_A_LIST
    )
    def reserves(self, request, pk=None):
        claim = self._claim(pk)
        self._insurer_only(claim, "reserves")
        if request.method == "GET":
            reserves = claim.reserves.order_by("set_at", "id")
            return Response(s.ReserveSerializer(reserves, many=True).data)

        def set_reserve():
            data = self._valid(s.ReserveSerializer)
            claim_check_if_match(request, claim)
            reserve = resolution_payments.reserve_set(
                claim=claim, adjuster=request.user, amount=data["amount"], reason=data["reason"]
            )
            return _state(claim, code=201, data=s.ReserveSerializer(reserve).data)

        return idempotent(self, request, set_reserve)

    @extend_schema(
        methods=["GET"],
        summary="Payments against the settlement",
        tags=["money"],
        responses=s.PaymentSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a payment your finance system made (the last one closes the claim)",
        tags=["money"],
        parameters=[IDEMPOTENCY_KEY, IF_MATCH],
        responses={201: s.PaymentSerializer},
    )
    @action(
        detail=True, methods=["get", "post"], serializer_class=s.PaymentSerializer, **NOT_A_LIST
    )
    def payments(self, request, pk=None):
        claim = self._claim(pk)
        self._insurer_only(claim, "payments")
        settlement = Settlement.objects.filter(claim=claim).first()
        if request.method == "GET":
            payments = settlement.payments.order_by("paid_on", "id") if settlement else []
            return Response(s.PaymentSerializer(payments, many=True).data)

        def pay():
            data = self._valid(s.PaymentSerializer)
            claim_check_if_match(request, claim)
            if settlement is None:
                raise Conflict("Payments can be recorded only once the claim is settled.")
            payment = resolution_payments.payment_record(
                settlement=settlement, adjuster=request.user, **data
            )
            return _state(claim, code=201, data=s.PaymentSerializer(payment).data)

        return idempotent(self, request, pay)

    # --- Helpers ----------------------------------------------------------------------------

    def _claim(self, pk) -> Claim:
        """The claim through its one door: 404 (audited) unless the client's insurer's."""
        return intake_selectors.claim_get_for_user(user=self.request.user, claim_id=pk)

    def _document(self, pk, document_id):
        claim = self._claim(pk)
        document = documents_selectors.document_get_for_user(
            user=self.request.user, document_id=document_id
        )
        if document.claim_id != claim.pk:
            refuse(
                user=self.request.user,
                object_type="documents.document",
                object_id=document_id,
                reason="not this claim's",
            )
        return document

    def _valid(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _insurer_only(self, claim: Claim, what: str) -> None:
        # Reserves and payments are the insurer's side of the claim, as its notes are.
        if not claim_access.claim_may_read_notes(self.request.user, claim):
            refuse(
                user=self.request.user, object_type="intake.claim", object_id=claim.pk, reason=what
            )

    def _of_insurer(self, queryset, pk, *, field: str, what: str):
        """The row `pk` of the client's insurer, None when not given; else a 400 naming `field`."""
        if pk is None:
            return None
        found = queryset.filter(pk=pk, insurer_id=self.request.user.insurer_id).first()
        if found is None:
            raise serializers.ValidationError({field: [f"Choose {what} of your insurer."]})
        return found
