from django.contrib import admin
from django.urls import path

from operations import health, monitoring, status

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", monitoring.metrics_view, name="metrics"),  # allow-list or token (docs/operations.md)
    path("admin/status/", admin.site.admin_view(status.status_view), name="admin-status"),
]
