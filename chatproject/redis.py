"""Shared Redis clients for the full-stack mode (REDIS_URL). One pool per process, or per event loop
for the asyncio client, since redis.asyncio connections belong to the loop that opened them."""

import asyncio
import weakref
from functools import cache

import redis
import redis.asyncio as aioredis
from django.conf import settings

_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
    weakref.WeakKeyDictionary()
)


def redis_enabled() -> bool:
    return bool(settings.REDIS_URL)


@cache
def get_redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, health_check_interval=30)


def get_async_redis() -> aioredis.Redis:
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        client = aioredis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, health_check_interval=30)
        _async_clients[loop] = client
    return client
