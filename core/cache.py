"""The default cache as one object per process, for code that sockets run.

Django gives every async context its own cache object. A socket's context lives as long as the socket, so a
cache read made for it through `django.core.cache.cache` would keep a cache object per idle socket (and,
with Django's own Redis backend, a pool: core.redis_cache.ProcessRedisCache shares one per process). A cache
object is safe to share between threads (redis-py's pool is), so socket code reads through this one."""

from functools import cache

from django.core.cache import DEFAULT_CACHE_ALIAS, BaseCache, caches


@cache
def shared_cache() -> BaseCache:
    return caches.create_connection(DEFAULT_CACHE_ALIAS)
