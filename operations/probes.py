"""/healthz, /readyz and /metrics, answered whatever the request's Host header says.

Probes and Prometheus reach each worker by its address (a pod or container IP), which DJANGO_ALLOWED_HOSTS
does not list, and CommonMiddleware refuses such a request (400, DisallowedHost) before any view runs. None
of these three views builds a URL from the Host header, so ProbeMiddleware, placed before CommonMiddleware,
answers them itself. PROBES is the one table of them: operations/urls.py routes the same views."""

from collections.abc import Callable

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse

from core.middleware import SyncAndAsyncMiddleware
from operations import health, monitoring

PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "healthz": health.healthz,
    "readyz": health.readyz,
    "metrics": monitoring.metrics_view,  # allow-list or token (docs/operations.md)
}


class ProbeMiddleware(SyncAndAsyncMiddleware):
    def handle(self, request: HttpRequest) -> HttpResponse:
        view = PROBES.get(request.path_info.removeprefix("/"))
        return view(request) if view else self.get_response(request)

    async def ahandle(self, request: HttpRequest) -> HttpResponse:
        view = PROBES.get(request.path_info.removeprefix("/"))
        if view is None:
            return await self.get_response(request)
        # as Django runs a sync view under ASGI: in the thread database code runs in
        return await sync_to_async(view, thread_sensitive=True)(request)
