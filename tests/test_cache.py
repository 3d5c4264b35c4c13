"""The cache (core.redis_cache.ProcessRedisCache): Django makes a cache object for every async context, which
under an ASGI server is every request; they share one Redis connection pool per process, so a REST request
does not open a Redis connection of its own."""

import asyncio
import contextvars
import socket
import subprocess
from collections.abc import Iterator

import pytest
import redis
from django.test import override_settings
from rest_framework_simplejwt.tokens import AccessToken

from chatproject.asgi import application
from tests.accounts.factories import UserFactory
from tests.conftest import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
REQUESTS = 20


@pytest.fixture
def private_redis_url(tmp_path) -> Iterator[str]:
    """A Redis server of this test's own: its connection count is this test's alone."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
               "--dir", str(tmp_path)]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_until(lambda: _answers(url), "the private Redis to start")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url).ping())
    except redis.ConnectionError:
        return False


def connections_received(url: str) -> int:
    return int(redis.Redis.from_url(url).info("stats")["total_connections_received"])


async def get_as_a_server_would(path: str, token: str) -> int:
    """One GET through the ASGI application, in a context of its own, as uvicorn runs each request."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    body = [{"type": "http.request", "body": b"", "more_body": False}]
    sent: list[dict] = []

    async def receive() -> dict:
        if body:
            return body.pop()
        await asyncio.Event().wait()  # the client stays connected
        raise AssertionError("unreachable")

    async def send(message: dict) -> None:
        sent.append(message)

    await asyncio.create_task(application(scope, receive, send), context=contextvars.Context())
    return int(sent[0]["status"])


@pytest.fixture
def token(transactional_db):
    return str(AccessToken.for_user(UserFactory()))


async def test_rest_requests_share_the_workers_redis_connections(private_redis_url, token):
    backend = {"BACKEND": "core.redis_cache.ProcessRedisCache", "LOCATION": private_redis_url}
    with override_settings(CACHES={"default": backend}):
        before = connections_received(private_redis_url)
        statuses = [await get_as_a_server_would("/api/v1/conversations/", token) for _ in range(REQUESTS)]
        # then: every request read and wrote its throttles' counters, over one connection (+ this count's)
        assert statuses == [200] * REQUESTS
        assert connections_received(private_redis_url) - before <= 2
