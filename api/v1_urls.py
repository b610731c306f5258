"""The API's v1 URLs (mounted at /api/ by api/urls.py): the resources under v1/, the OpenAPI
schema and its two documentation pages, served from the portal itself (sidecar, no CDN)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from api.docs_views import RedocView, SwaggerView
from api.v1_views import ClaimViewSet

router = SimpleRouter()
router.register("v1/claims", ClaimViewSet, basename="api-claim")

urlpatterns = [
    *router.urls,
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", RedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
