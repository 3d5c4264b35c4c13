"""Django's Redis cache with one connection pool per process (CACHES when REDIS_URL is set), and on a Redis
Cluster (when REDIS_CLUSTER_URLS is set): Django's own backend, with the cluster client, and its multi-key
commands split per key (a cluster refuses keys of different slots in one command)."""

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

from core.redis import get_redis


class RedisClusterCacheClient(RedisCacheClient):
    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        return get_redis()

    def get_many(self, keys: Any) -> dict[Any, Any]:
        values = get_redis().mget_nonatomic(list(keys))  # type: ignore[attr-defined]
        return {k: self._serializer_().loads(v) for k, v in zip(keys, values, strict=True) if v is not None}

    def set_many(self, data: Any, timeout: Any) -> None:
        pipeline = get_redis().pipeline(transaction=False)
        for key, value in data.items():
            pipeline.set(key, self._serializer_().dumps(value), ex=timeout)
        pipeline.execute()

    def _serializer_(self) -> Any:
        return self._serializer  # type: ignore[attr-defined]  # Django's, set in __init__ (not in the stubs)


class RedisClusterCache(RedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisClusterCacheClient


class ProcessRedisCacheClient(RedisCacheClient):
    """Django's client, handing out one redis-py client per connection pool instead of a new one per call
    (building one copies its ~170 response callbacks)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        django: Any = self  # Django's own private helpers, not in django-stubs
        index = django._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = django._client(connection_pool=django._get_connection_pool(write))
        return client


_process_clients: dict[str, ProcessRedisCacheClient] = {}
_process_clients_lock = threading.Lock()


class ProcessRedisCache(RedisCache):
    """Django's Redis cache (CACHES when REDIS_URL is set) with one client, so one connection pool, per
    process. Django makes a cache object per async context (each ASGI request, each socket) and a Redis cache
    object its own pool, so each REST request's first cache read (its throttles) opened a Redis connection of
    its own, with redis-py's handshake, and dropped it at the end. redis-py's pools are shared by threads."""

    @cached_property
    def _cache(self) -> ProcessRedisCacheClient:
        django: Any = self  # RedisCache's servers and options, not in django-stubs
        key = repr((django._servers, sorted(django._options.items())))
        with _process_clients_lock:
            client = _process_clients.get(key)
            if client is None:
                client = _process_clients[key] = ProcessRedisCacheClient(django._servers, **django._options)
            return client
