"""Django's Redis cache on a Redis Cluster (CACHES when REDIS_CLUSTER_URLS is set): Django's own backend,
with the cluster client, and its multi-key commands split per key (a cluster refuses keys of different slots
in one command)."""

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

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
