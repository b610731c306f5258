from django.contrib import admin
from django.urls import include, path

from config.health import health_view
from intake.dashboard import dashboard
from portal import pages, views

admin.site.login = views.admin_login
admin.site.site_header = "Claim portal administration"
admin.site.site_title = "Claim portal admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", dashboard, name="dashboard"),
    path("help/", pages.help_page, name="help"),
    path("contact/", pages.contact, name="contact"),
    path("accessibility/", pages.accessibility, name="accessibility"),
    path("insurers/<uuid:insurer_id>/", views.insurer_detail, name="insurer_detail"),
    path("claims/", include("intake.urls")),
    path("work/", include("triage.urls")),
    path("documents/", include("documents.urls")),
    path("notifications/", include("notifications.urls")),
    path("resolution/", include("resolution.urls")),
    path("oversight/", include("oversight.urls")),
    path("privacy/", include("privacy.urls")),
    path("api/", include("api.urls")),
    path("health/", health_view, name="health"),
    # The language switcher posts to Django's set_language view (name "set_language").
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("portal.account_urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
