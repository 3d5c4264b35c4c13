from django.contrib import admin
from django.urls import path

from operations import status
from operations.probes import PROBES

urlpatterns = [
    # Answered by operations.probes.ProbeMiddleware before Django checks the Host header; routed here too,
    # so that they resolve (and reverse) like any page.
    *(path(route, view, name=route) for route, view in PROBES.items()),
    path("admin/status/", admin.site.admin_view(status.status_view), name="admin-status"),
]
