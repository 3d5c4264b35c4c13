"""WebSocket routes; the messaging consumer joins them with #3."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
