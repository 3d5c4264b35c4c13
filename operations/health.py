"""Liveness (/healthz) and readiness (/readyz: not shutting down, database, Redis, broker)."""

from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from kombu import Connection

from core.redis import cluster_enabled, get_redis
from realtime import shutdown

CHECK_TIMEOUT_SECONDS = 2


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    """Over a connection of its own, bounded like the others: a web worker's pooled connection waits up to the
    pool's timeout (10 s) for a database that accepts but does not answer, past the probe's own timeout."""
    probe = connection.copy()
    if probe.vendor == "postgresql":
        options = probe.settings_dict["OPTIONS"]
        options.pop("pool", None)
        options["connect_timeout"] = CHECK_TIMEOUT_SECONDS
        statement_timeout = f"-c statement_timeout={CHECK_TIMEOUT_SECONDS * 1000}"
        options["options"] = f"{options.get('options', '')} {statement_timeout}".strip()
    try:
        with probe.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        probe.close()


def _check_redis() -> None:
    """Fan-out, seqs and the journal live there (embedded mode has none: nothing to reach)."""
    if cluster_enabled():  # every slot served: each shard's master answers
        get_redis().ping(target_nodes="primaries")
    elif settings.REDIS_URL:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=CHECK_TIMEOUT_SECONDS)
        with client:
            client.ping()


def _check_broker() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # embedded mode: tasks run in-process, there is no broker to reach
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=CHECK_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)


def _check_not_draining() -> None:
    if shutdown.is_draining():
        raise RuntimeError("shutting down: the balancer should stop sending sockets here")


CHECKS: dict[str, Callable[[], None]] = {
    "draining": _check_not_draining,
    "database": _check_database,
    "redis": _check_redis,
    "broker": _check_broker,
}


def readyz(request: HttpRequest) -> JsonResponse:
    failed = []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:  # any failure means "not ready"; the name says where to look
            failed.append(name)
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed}, status=503)
    return JsonResponse({"status": "ok"})
