"""Who is online: a user is online while any of their sockets is open on any worker.

Each socket holds an entry that expires unless its worker's heartbeat refreshes it, so a worker killed
without clean-up leaves its users online for at most PRESENCE_TTL_SECONDS. Full-stack mode keeps the
entries in Redis (a sorted set per user, scored by expiry time); the embedded mode in process memory."""

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any, Protocol

from core.per_loop import PerLoop
from core.redis import get_async_redis, get_redis, redis_enabled

logger = logging.getLogger(__name__)

PRESENCE_TTL_SECONDS = 60
HEARTBEAT_SECONDS = 20


class PresenceStore(Protocol):
    def connect(self, user_id: int, connection_id: str) -> bool:
        """Register a socket; True when the user was offline before."""

    def refresh(self, user_id: int, connection_id: str) -> None: ...

    async def refresh_many(self, sockets: Iterable[tuple[int, str]]) -> None: ...

    def disconnect(self, user_id: int, connection_id: str) -> bool:
        """Drop a socket; True when the user has no socket left."""

    def online_user_ids(self, user_ids: Iterable[int]) -> set[int]: ...

    def online_count(self) -> int:
        """How many users are online (for operators; reads every presence key)."""


class RedisPresence:
    @staticmethod
    def _key(user_id: int) -> str:
        return f"presence:{user_id}"

    def connect(self, user_id: int, connection_id: str) -> bool:
        now, key = time.time(), self._key(user_id)
        pipe = get_redis().pipeline()
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.zcard(key)
        pipe.zadd(key, {connection_id: now + PRESENCE_TTL_SECONDS})
        pipe.expire(key, PRESENCE_TTL_SECONDS)
        _, open_before, _, _ = pipe.execute()
        return int(open_before) == 0

    def refresh(self, user_id: int, connection_id: str) -> None:
        pipe = get_redis().pipeline()
        _queue_refresh(pipe, user_id, connection_id, time.time())
        pipe.execute()

    async def refresh_many(self, sockets: Iterable[tuple[int, str]]) -> None:
        """Refresh many sockets' entries in one round trip (a worker's heartbeat)."""
        now = time.time()
        async with get_async_redis().pipeline(transaction=False) as pipe:
            for user_id, connection_id in sockets:
                _queue_refresh(pipe, user_id, connection_id, now)
            await pipe.execute()

    def disconnect(self, user_id: int, connection_id: str) -> bool:
        now, key = time.time(), self._key(user_id)
        pipe = get_redis().pipeline()
        pipe.zrem(key, connection_id)
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.zcard(key)
        _, _, open_after = pipe.execute()
        return int(open_after) == 0

    def online_user_ids(self, user_ids: Iterable[int]) -> set[int]:
        ids = list(user_ids)
        pipe = get_redis().pipeline()
        for user_id in ids:
            pipe.zcount(self._key(user_id), time.time(), "+inf")
        return {user_id for user_id, count in zip(ids, pipe.execute(), strict=True) if count}

    def online_count(self) -> int:
        # A key outlives its last socket by at most PRESENCE_TTL_SECONDS; SCAN does not block Redis.
        return sum(1 for _ in get_redis().scan_iter(match="presence:*", count=1000))


def _queue_refresh(pipe: Any, user_id: int, connection_id: str, now: float) -> None:
    key = RedisPresence._key(user_id)
    pipe.zadd(key, {connection_id: now + PRESENCE_TTL_SECONDS})
    pipe.expire(key, PRESENCE_TTL_SECONDS)


class MemoryPresence:
    def __init__(self) -> None:
        self._expiry: dict[int, dict[str, float]] = {}

    def _live(self, user_id: int) -> dict[str, float]:
        now = time.time()
        connections = {c: t for c, t in self._expiry.get(user_id, {}).items() if t > now}
        self._expiry[user_id] = connections
        return connections

    def connect(self, user_id: int, connection_id: str) -> bool:
        connections = self._live(user_id)
        was_offline = not connections
        connections[connection_id] = time.time() + PRESENCE_TTL_SECONDS
        return was_offline

    def refresh(self, user_id: int, connection_id: str) -> None:
        self._live(user_id)[connection_id] = time.time() + PRESENCE_TTL_SECONDS

    async def refresh_many(self, sockets: Iterable[tuple[int, str]]) -> None:
        for user_id, connection_id in sockets:
            self.refresh(user_id, connection_id)

    def disconnect(self, user_id: int, connection_id: str) -> bool:
        connections = self._live(user_id)
        connections.pop(connection_id, None)
        return not connections

    def online_user_ids(self, user_ids: Iterable[int]) -> set[int]:
        return {user_id for user_id in user_ids if self._live(user_id)}

    def online_count(self) -> int:
        return sum(1 for user_id in list(self._expiry) if self._live(user_id))


_memory_presence = MemoryPresence()


def presence_store() -> PresenceStore:
    return RedisPresence() if redis_enabled() else _memory_presence


class Heartbeat:
    """This worker's open sockets' entries, refreshed together every HEARTBEAT_SECONDS: one timer and one
    Redis round trip per worker, not a task and a round trip per socket."""

    def __init__(self) -> None:
        self._sockets: dict[str, int] = {}  # connection id -> user id
        self._task: asyncio.Task[None] | None = None

    def keep(self, user_id: int, connection_id: str) -> None:
        self._sockets[connection_id] = user_id
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._beat(), name="presence-heartbeat")

    def drop(self, connection_id: str) -> None:
        self._sockets.pop(connection_id, None)

    async def _beat(self) -> None:
        while self._sockets:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            sockets = [(user_id, connection_id) for connection_id, user_id in self._sockets.items()]
            try:
                await presence_store().refresh_many(sockets)
            except Exception:  # Redis restarting: the next beat tries again; entries live 60 s
                logger.warning("presence heartbeat failed for %d sockets", len(sockets))


_heartbeats = PerLoop(Heartbeat)


def heartbeat() -> Heartbeat:
    """This event loop's heartbeat."""
    return _heartbeats.get()


def online_user_ids(user_ids: Iterable[int]) -> set[int]:
    """The subset of `user_ids` with at least one open socket on any worker."""
    return presence_store().online_user_ids(user_ids)
