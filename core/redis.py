"""Shared Redis clients for the full-stack mode (REDIS_URL). One pool per process, or per event loop
for the asyncio client, since redis.asyncio connections belong to the loop that opened them."""

from functools import cache

import redis
import redis.asyncio as aioredis
from django.conf import settings
from redis.connection import parse_url

from core.per_loop import PerLoop

ASYNC_POOL_SIZE = 200  # connections per worker process
ASYNC_POOL_WAIT_SECONDS = 5


def redis_enabled() -> bool:
    return bool(settings.REDIS_URL)


@cache
def pubsub_namespace(url: str) -> str:
    """The prefix of our pub/sub channels. Keys belong to the database named in REDIS_URL, but pub/sub
    channels are shared by every database of a server: without the database number in their names, two
    installations sharing a Redis server through different databases would deliver each other's messages."""
    return f"db{parse_url(url).get('db', 0)}:" if url else ""


@cache
def get_redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, health_check_interval=30)


def get_async_redis() -> aioredis.Redis:
    return _async_clients.get()


def _new_async_client() -> aioredis.Redis:
    # Blocking: a burst (hundreds of sockets connecting or leaving at once) waits for a free connection
    # instead of failing with MaxConnectionsError, as redis-py's default pool does past its limit.
    pool = aioredis.BlockingConnectionPool.from_url(
        settings.REDIS_URL,
        max_connections=ASYNC_POOL_SIZE,
        timeout=ASYNC_POOL_WAIT_SECONDS,
        socket_timeout=5,
        health_check_interval=30,
    )
    return aioredis.Redis(connection_pool=pool)


_async_clients = PerLoop(_new_async_client)
