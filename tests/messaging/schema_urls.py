"""Only the messaging API, to check its OpenAPI description on its own."""

from django.urls import include, path

urlpatterns = [path("api/v1/", include("messaging.api.urls"))]
