"""Notice when Redis restarted empty, and make this worker's sockets start afresh.

A Redis restart without persistence loses the seq counters, the recent log and the idempotency records that a
socket's position in each conversation is measured against (the hub resubscribes by itself, but its sockets'
positions would no longer match). Every worker keeps an eye on an epoch key; when it is gone (or changed),
the worker closes its sockets with 1012 ("service restart"), and each client reconnects at once and `sync`s
from what it has — which replays whatever it missed from PostgreSQL, exactly once."""

import asyncio
import logging
import uuid
import weakref

from redis.exceptions import RedisError

from core.redis import get_async_redis, redis_enabled
from realtime import close_codes, shutdown

logger = logging.getLogger(__name__)

EPOCH_KEY = "parley:epoch"
CHECK_SECONDS = 1.0

_watchers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[None]]" = (
    weakref.WeakKeyDictionary()
)


def watch() -> None:
    """Start this event loop's watcher, with its first socket (the sockets are shutdown's registry)."""
    if not redis_enabled():
        return
    loop = asyncio.get_running_loop()
    if loop not in _watchers or _watchers[loop].done():
        _watchers[loop] = loop.create_task(_watch_epoch())


async def _current_epoch() -> str:
    redis = get_async_redis()
    await redis.set(EPOCH_KEY, uuid.uuid4().hex, nx=True)
    epoch = await redis.get(EPOCH_KEY)
    return epoch.decode() if isinstance(epoch, bytes) else str(epoch)


async def _watch_epoch() -> None:
    known: str | None = None
    while True:
        try:
            epoch = await _current_epoch()
        except (RedisError, OSError):
            _stop_if_cancelled()  # redis-py may turn a cancellation into a connection error
            await asyncio.sleep(CHECK_SECONDS)
            continue
        if known is not None and epoch != known:
            logger.warning("Redis restarted empty: closing %d sockets with 1012", shutdown.open_sockets())
            shutdown.close_every_socket(close_codes.SERVICE_RESTART)
        known = epoch
        await asyncio.sleep(CHECK_SECONDS)


def _stop_if_cancelled() -> None:
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
