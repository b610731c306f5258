"""Only the API's URLs: its tests do not depend on the rest of the site's URL configuration."""

from django.urls import include, path

urlpatterns = [path("api/", include("api.urls"))]
