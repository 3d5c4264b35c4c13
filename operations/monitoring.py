"""Serving metrics (docs/operations.md, "Metrics"): /metrics on every web worker, and an exporter port on
every Celery worker, both refused to whoever is neither on METRICS_ALLOWED_IPS nor holding METRICS_TOKEN.

The allow-list counts only for direct connections: a request that came through a proxy (it carries
X-Forwarded-For, X-Real-IP or Forwarded) needs the token, so a forwarded client address can never pass."""

import hmac
import ipaddress
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, make_wsgi_app, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, ThreadingWSGIServer
from prometheus_client.registry import Collector

from operations.selectors import queue_depths
from realtime.presence import presence_store

logger = logging.getLogger(__name__)

FORWARDING_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")
LIVE_CACHE_SECONDS = 5.0


def access_allowed(*, remote_addr: str | None, authorization: str, forwarded: bool) -> bool:
    token = settings.METRICS_TOKEN
    if token and hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        return True
    if forwarded or not remote_addr:
        return False
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(allowed, strict=False) for allowed in settings.METRICS_ALLOWED_IPS
    )


def metrics_view(request: HttpRequest) -> HttpResponse:
    allowed = access_allowed(
        remote_addr=request.META.get("REMOTE_ADDR"),
        authorization=request.headers.get("Authorization", ""),
        forwarded=any(name in request.headers for name in FORWARDING_HEADERS),
    )
    if not allowed:
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    output = generate_latest(process_registry()) + generate_latest(LIVE_REGISTRY)
    return HttpResponse(output, content_type=CONTENT_TYPE_LATEST)


def process_registry() -> CollectorRegistry:
    """This process's metrics, or, in multiprocess mode, the sum over every process sharing the folder."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


# --- Figures of the whole installation, read at scrape time (cached, so frequent scrapes stay cheap)


class LiveCollector(Collector):
    """Queue depths (passive declares on RabbitMQ) and presence keys (Redis). Every web worker reports the
    same values: aggregate them with max(), not sum()."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: tuple[float, list[GaugeMetricFamily]] = (0.0, [])

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            read_at, families = self._cached
            if time.monotonic() - read_at > LIVE_CACHE_SECONDS:
                families = self._read()
                self._cached = (time.monotonic(), families)
        yield from families

    def _read(self) -> list[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "parley_queue_messages", "Messages ready in a RabbitMQ queue.", labels=["queue"]
        )
        broker_up = GaugeMetricFamily("parley_broker_up", "1 if RabbitMQ answered the last depth read.")
        try:
            for queue, count in queue_depths().items():
                if count is not None:
                    depth.add_metric([queue], count)
            broker_up.add_metric([], 1)
        except Exception:
            logger.warning("metrics: queue depths unreadable")
            broker_up.add_metric([], 0)
        presence = GaugeMetricFamily("parley_presence_keys", "Users with a presence entry (online users).")
        try:
            presence.add_metric([], presence_store().online_count())
        except Exception:
            logger.warning("metrics: presence keys unreadable")
        return [depth, broker_up, presence]


LIVE_REGISTRY = CollectorRegistry(auto_describe=False)
LIVE_REGISTRY.register(LiveCollector())


# --- The Celery workers' exporter

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the base class's name)
        pass


def _guarded(app: WsgiApp) -> WsgiApp:
    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        forwarded = any(_wsgi_name(name) in environ for name in FORWARDING_HEADERS)
        if not access_allowed(
            remote_addr=environ.get("REMOTE_ADDR"),
            authorization=environ.get("HTTP_AUTHORIZATION", ""),
            forwarded=forwarded,
        ):
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"Forbidden\n"]
        return app(environ, start_response)

    return guarded


def _wsgi_name(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


def start_celery_exporter(
    *, address: str, port: int, pool_forks: bool = True, environ: Mapping[str, str] = os.environ
) -> ThreadingWSGIServer:
    """Serve the worker's metrics on address:port from a daemon thread of the worker's main process.
    `pool_forks`: the worker runs its tasks in child processes (the prefork pool), whose values only
    PROMETHEUS_MULTIPROC_DIR brings here."""
    if environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = process_registry()
    else:
        registry = REGISTRY
    if pool_forks and registry is REGISTRY:
        logger.warning(
            "metrics: PROMETHEUS_MULTIPROC_DIR is not set, so only the main process's metrics are served; "
            "with the prefork pool set it (docs/operations.md)"
        )
    server = make_server(
        address, port, _guarded(make_wsgi_app(registry)), ThreadingWSGIServer, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, name="metrics-exporter", daemon=True).start()
    logger.info("metrics exporter listening on %s:%d", address, port)
    return server


def mark_process_dead(pid: int) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)
