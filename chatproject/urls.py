"""The project's URLs: each app's own, under one API prefix. Apps are named by string (include), as
INSTALLED_APPS names them: the wiring imports no app module for its URLs."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

api_v1: list[URLPattern | URLResolver] = [
    path("", include("accounts.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("messaging.api.urls")),
    path("", include("files.api.urls")),
    path("", include("moderation.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]

urlpatterns = [
    path("", include("operations.urls")),  # health, metrics and the admin's status page, before the admin
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("", include("frontend.urls")),
]

handler404 = "core.errors.json_not_found"
handler500 = "core.errors.json_server_error"
