"""The project's URLs: each app's own, under one API prefix. Apps are named by string (include), as
INSTALLED_APPS names them: the wiring imports no app module for its URLs."""

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

api_v1: list[URLPattern | URLResolver] = [
    path("", include("accounts.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("messaging.api.urls")),
    path("", include("files.api.urls")),
    path("", include("previews.api.urls")),
    path("", include("moderation.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]

# Swagger UI comes from its CDN; the split view serves its start-up script as a file (no inline script).
_SWAGGER_CDN = "https://" + spectacular_settings.SWAGGER_UI_DIST.split("/")[2]
api_docs = csp_update({"script-src": _SWAGGER_CDN, "style-src": _SWAGGER_CDN, "img-src": _SWAGGER_CDN})(
    SpectacularSwaggerSplitView.as_view(url_name="schema")
)

urlpatterns = [
    path("", include("operations.urls")),  # health, metrics and the admin's status page, before the admin
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/docs/", api_docs, name="api-docs"),
    path("", include("frontend.urls")),
]

handler400 = "core.errors.json_bad_request"
handler404 = "core.errors.json_not_found"
handler500 = "core.errors.json_server_error"
