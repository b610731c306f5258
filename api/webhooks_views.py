"""The webhooks' management through the API (`webhooks:manage`): an insurer's system registers
its endpoints (the secret is in the answer to the registration and to a rotation, and nowhere
after), changes, pings, rotates and deletes them, and reads the delivery log with manual
redelivery. A client reaches only its own insurer's endpoints: any other is 404, audited. Every
POST is idempotent (api.idempotency), as the claims' are; a PATCH takes If-Match with the
endpoint's ETag (api.etags), given on every answer that shows the endpoint."""

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from api import webhooks
from api.etags import endpoint_check_if_match, endpoint_etag
from api.idempotency import idempotent
from api.schema import IDEMPOTENCY_KEY, if_match
from api.scopes import WEBHOOKS_MANAGE
from api.webhooks_models import EventType, WebhookDelivery, WebhookEndpoint
from portal.access import refuse
from portal.models import AuditAction
from portal.services import audit_event_record

UUID = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
IF_MATCH = if_match("endpoint")


class EndpointSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), allow_empty=False
    )
    in_rotation = serializers.SerializerMethodField()

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "state",
            "disabled_at",
            "disabled_reason",
            "pinged_at",
            "ping_status_code",
            "ping_error",
            "in_rotation",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "state",
            "disabled_at",
            "disabled_reason",
            "pinged_at",
            "ping_status_code",
            "ping_error",
            "created_at",
        ]

    def get_in_rotation(self, endpoint) -> bool:
        """Whether a rotated-out secret still signs beside the current one."""
        return bool(endpoint.previous_secret_expires_at)


class EndpointCreatedSerializer(EndpointSerializer):
    secret = serializers.CharField(help_text="The endpoint's whsec_ secret: shown only this once.")

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new whsec_ secret: shown only this once.")
    previous_secret_expires_at = serializers.DateTimeField()


class PingSerializer(serializers.Serializer):
    status_code = serializers.IntegerField(allow_null=True)
    ok = serializers.BooleanField()
    error = serializers.CharField(allow_blank=True)
    duration_ms = serializers.IntegerField()


class DeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.CharField(source="message_id")
    claim_id = serializers.UUIDField(allow_null=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook_id",
            "endpoint",
            "event_type",
            "claim_id",
            "state",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "last_status_code",
            "last_duration_ms",
            "last_error",
            "delivered_at",
            "created_at",
        ]


class EventTypeSerializer(serializers.Serializer):
    type = serializers.CharField()
    description = serializers.CharField()


class DeliveryPagination(CursorPagination):
    ordering = ("-created_at", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _problem(error: webhooks.WebhookError) -> ValidationError:
    return ValidationError({error.field or "non_field_errors": [error.message]})


def _shown(endpoint: WebhookEndpoint, *, serializer=EndpointSerializer, code=200) -> Response:
    """The endpoint as answered, with its ETag for the If-Match of a later PATCH."""
    body = serializer(endpoint).data
    return Response(body, status=code, headers={"ETag": endpoint_etag(endpoint)})


@extend_schema_view(
    list=extend_schema(summary="Your insurer's webhook endpoints", tags=["webhooks"]),
    retrieve=extend_schema(summary="A webhook endpoint", tags=["webhooks"]),
    partial_update=extend_schema(
        summary="Change a webhook endpoint (a new URL is checked, then pinged)",
        tags=["webhooks"],
        parameters=[IF_MATCH],
    ),
    destroy=extend_schema(summary="Delete a webhook endpoint", tags=["webhooks"]),
)
class WebhookEndpointViewSet(viewsets.GenericViewSet):
    required_scopes = WEBHOOKS_MANAGE
    serializer_class = EndpointSerializer
    lookup_value_regex = UUID
    queryset = WebhookEndpoint.objects.none()

    def _endpoint(self, pk) -> WebhookEndpoint:
        endpoint = WebhookEndpoint.objects.filter(
            pk=pk, insurer_id=self.request.auth.insurer_id
        ).first()
        if endpoint is None:
            refuse(
                user=self.request.user,
                object_type="api.webhookendpoint",
                object_id=pk,
                reason="not its insurer's endpoint",
            )
        return endpoint

    def list(self, request):
        endpoints = WebhookEndpoint.objects.filter(insurer_id=request.auth.insurer_id)
        return Response(EndpointSerializer(endpoints, many=True).data)

    def retrieve(self, request, pk=None):
        return _shown(self._endpoint(pk))

    @extend_schema(
        summary="Register a webhook endpoint (it is pinged once registered)",
        tags=["webhooks"],
        parameters=[IDEMPOTENCY_KEY],
        request=EndpointSerializer,
        responses={201: EndpointCreatedSerializer},
    )
    def create(self, request):
        def register():
            data = self._valid(EndpointSerializer)
            try:
                endpoint, _secret = webhooks.webhook_endpoint_register(
                    insurer=request.auth.insurer,
                    url=data["url"],
                    event_types=data["event_types"],
                    description=data.get("description", ""),
                    actor=request.user,
                    ping=False,
                )
            except webhooks.WebhookError as error:
                raise _problem(error) from error
            # Pinged once the endpoint is saved, never while this request holds the database.
            transaction.on_commit(lambda: webhooks.webhook_endpoint_ping(endpoint=endpoint))
            # The one answer that carries the secret.
            return _shown(endpoint, serializer=EndpointCreatedSerializer, code=201)

        return idempotent(self, request, register)

    def partial_update(self, request, pk=None):
        endpoint = self._endpoint(pk)
        serializer = EndpointSerializer(endpoint, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = _changes(serializer.validated_data)
        with transaction.atomic():
            endpoint = endpoint_check_if_match(request, endpoint)
            old_url = endpoint.url
            try:
                webhooks.webhook_endpoint_update(
                    endpoint=endpoint, actor=request.user, ping=False, **changes
                )
            except webhooks.WebhookError as error:
                raise _problem(error) from error
            if endpoint.url != old_url:
                # The new address is pinged once the change is saved, never under the lock.
                transaction.on_commit(lambda: webhooks.webhook_endpoint_ping(endpoint=endpoint))
        return _shown(endpoint)

    def destroy(self, request, pk=None):
        endpoint = self._endpoint(pk)
        with transaction.atomic():
            audit_event_record(action=AuditAction.DELETE, actor=request.user, obj=endpoint)
            endpoint.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Rotate the endpoint's secret (the old one also signs for 24 hours)",
        tags=["webhooks"],
        parameters=[IDEMPOTENCY_KEY],
        request=None,
        responses={200: SecretSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = self._endpoint(pk)

        def rotate():
            secret = webhooks.webhook_endpoint_rotate_secret(endpoint=endpoint, actor=request.user)
            body = {
                "secret": secret,
                "previous_secret_expires_at": endpoint.previous_secret_expires_at,
            }
            return Response(SecretSerializer(body).data)

        return idempotent(self, request, rotate)

    @extend_schema(
        summary="Send the endpoint a signed webhook.ping now",
        tags=["webhooks"],
        parameters=[IDEMPOTENCY_KEY],
        request=None,
        responses={200: PingSerializer},
    )
    @action(detail=True, methods=["post"])
    def ping(self, request, pk=None):
        endpoint = self._endpoint(pk)

        def ping():
            answer = webhooks.webhook_endpoint_ping(endpoint=endpoint)
            body = {
                "status_code": answer.status,
                "ok": bool(endpoint.ping_ok),
                "error": answer.error,
                "duration_ms": answer.duration_ms,
            }
            return Response(PingSerializer(body).data)

        return idempotent(self, request, ping)

    @extend_schema(
        summary="Deliver to a disabled endpoint again",
        tags=["webhooks"],
        parameters=[IDEMPOTENCY_KEY],
        request=None,
        responses={200: EndpointSerializer},
    )
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        endpoint = self._endpoint(pk)

        def enable():
            webhooks.webhook_endpoint_enable(endpoint=endpoint, actor=request.user)
            return _shown(endpoint)

        return idempotent(self, request, enable)

    @extend_schema(
        summary="The endpoint's delivery log, newest first",
        tags=["webhooks"],
        responses={200: DeliverySerializer(many=True)},
    )
    # The action's own pagination class, so the schema describes the cursor page it answers.
    @action(detail=True, methods=["get"], pagination_class=DeliveryPagination)
    def deliveries(self, request, pk=None):
        endpoint = self._endpoint(pk)
        page = self.paginate_queryset(WebhookDelivery.objects.filter(endpoint=endpoint))
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    def _valid(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


@extend_schema_view(retrieve=extend_schema(summary="A webhook delivery", tags=["webhooks"]))
class WebhookDeliveryViewSet(viewsets.GenericViewSet):
    required_scopes = WEBHOOKS_MANAGE
    serializer_class = DeliverySerializer
    lookup_value_regex = UUID
    queryset = WebhookDelivery.objects.none()

    def _delivery(self, pk) -> WebhookDelivery:
        delivery = (
            WebhookDelivery.objects.select_related("endpoint")
            .filter(pk=pk, endpoint__insurer_id=self.request.auth.insurer_id)
            .first()
        )
        if delivery is None:
            refuse(
                user=self.request.user,
                object_type="api.webhookdelivery",
                object_id=pk,
                reason="not its insurer's delivery",
            )
        return delivery

    def retrieve(self, request, pk=None):
        return Response(DeliverySerializer(self._delivery(pk)).data)

    @extend_schema(
        summary="Send a delivery again now, with a fresh schedule",
        tags=["webhooks"],
        parameters=[IDEMPOTENCY_KEY],
        request=None,
        responses={202: DeliverySerializer},
    )
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        delivery = self._delivery(pk)

        def resend():
            try:
                webhooks.webhook_delivery_resend(delivery=delivery, actor=request.user)
            except webhooks.WebhookError as error:
                raise _problem(error) from error
            return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

        return idempotent(self, request, resend)


@extend_schema(
    summary="The event types an endpoint may subscribe to",
    tags=["webhooks"],
    responses={200: EventTypeSerializer(many=True)},
)
class EventTypeViewSet(viewsets.ViewSet):
    required_scopes = WEBHOOKS_MANAGE

    def list(self, request):
        rows = [{"type": value, "description": str(label)} for value, label in EventType.choices]
        return Response(EventTypeSerializer(rows, many=True).data)


def _changes(validated: dict) -> dict:
    return {
        name: validated[name] for name in ("url", "event_types", "description") if name in validated
    }
