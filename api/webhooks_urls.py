"""The API's webhooks URLs, at /api/v1/webhooks/: endpoints, their deliveries, the event types."""

from rest_framework.routers import SimpleRouter

from api.webhooks_views import EventTypeViewSet, WebhookDeliveryViewSet, WebhookEndpointViewSet

router = SimpleRouter()
router.register("endpoints", WebhookEndpointViewSet, basename="api-webhook-endpoint")
router.register("deliveries", WebhookDeliveryViewSet, basename="api-webhook-delivery")
router.register("event-types", EventTypeViewSet, basename="api-webhook-event-type")

urlpatterns = router.urls
