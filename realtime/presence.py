"""Who is online, and who is looking: a user is online while any of their sockets is open on any worker, and
*present* (looking) while any of those sockets says its page is visible, focused and recently used (the
`activity` frame, docs/protocol.md). A socket that never said counts as looking (older clients). Status as
others see it: `online` (some socket looking), `idle` (connected, none looking) or `offline`.

Each socket holds an entry that expires unless its worker's heartbeat refreshes it, so a worker killed
without clean-up leaves its users online for at most PRESENCE_TTL_SECONDS; a looking socket holds a second
entry, in a second set, refreshed by the same heartbeat. Full-stack mode keeps the entries in Redis (two
sorted sets per user, scored by expiry time); the embedded mode in process memory."""

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from core.per_loop import PerLoop
from core.redis import get_async_redis, get_redis, redis_enabled

logger = logging.getLogger(__name__)

PRESENCE_TTL_SECONDS = 60
HEARTBEAT_SECONDS = 20

Status = Literal["online", "idle", "offline"]
ONLINE: Status = "online"
IDLE: Status = "idle"
OFFLINE: Status = "offline"


def status_of(sockets: int, looking: int) -> Status:
    if looking and sockets:
        return ONLINE
    return IDLE if sockets else OFFLINE


@dataclass(frozen=True)
class StatusChange:
    """A user's status before and after one of their sockets connected, closed or changed its looking."""

    before: Status
    after: Status
    sockets: int  # the user's open sockets after the change, on every worker

    @property
    def changed(self) -> bool:
        return self.before != self.after


class PresenceStore(Protocol):
    def connect(self, user_id: int, connection_id: str) -> StatusChange:
        """Register a socket, looking until it says otherwise."""

    def set_looking(self, user_id: int, connection_id: str, looking: bool) -> StatusChange: ...

    def refresh(self, user_id: int, connection_id: str, looking: bool = True) -> None: ...

    async def refresh_many(self, sockets: Iterable[tuple[int, str, bool]]) -> None:
        """Refresh (user id, connection id, looking?) entries."""

    def disconnect(self, user_id: int, connection_id: str) -> StatusChange: ...

    def online_user_ids(self, user_ids: Iterable[int]) -> set[int]: ...

    def looking_user_ids(self, user_ids: Iterable[int]) -> set[int]:
        """The subset of `user_ids` with some socket looking: present, so not pushed."""

    def statuses(self, user_ids: Iterable[int]) -> dict[int, Status]: ...

    def online_count(self) -> int:
        """How many users are online (for operators; reads every presence key)."""


class SocketTransitions(ABC):
    """A socket's three changes of state, each one call of the store's `_change`."""

    @abstractmethod
    def _change(self, user_id: int, connection_id: str, *, open_: bool, looking: bool) -> StatusChange: ...

    def connect(self, user_id: int, connection_id: str) -> StatusChange:
        return self._change(user_id, connection_id, open_=True, looking=True)

    def set_looking(self, user_id: int, connection_id: str, looking: bool) -> StatusChange:
        return self._change(user_id, connection_id, open_=True, looking=looking)

    def disconnect(self, user_id: int, connection_id: str) -> StatusChange:
        return self._change(user_id, connection_id, open_=False, looking=False)


class RedisPresence(SocketTransitions):
    @staticmethod
    def _key(user_id: int) -> str:
        return f"presence:{user_id}"

    @staticmethod
    def _looking_key(user_id: int) -> str:
        return f"looking:{user_id}"

    def _change(self, user_id: int, connection_id: str, *, open_: bool, looking: bool) -> StatusChange:
        """One round trip: drop expired entries, count both sets, apply the change, count again."""
        now, key, looking_key = time.time(), self._key(user_id), self._looking_key(user_id)
        pipe = get_redis().pipeline()
        pipe.zremrangebyscore(key, "-inf", now)
        pipe.zremrangebyscore(looking_key, "-inf", now)
        pipe.zcard(key)
        pipe.zcard(looking_key)
        if open_:
            pipe.zadd(key, {connection_id: now + PRESENCE_TTL_SECONDS})
            pipe.expire(key, PRESENCE_TTL_SECONDS)
        else:
            pipe.zrem(key, connection_id)
        if open_ and looking:
            pipe.zadd(looking_key, {connection_id: now + PRESENCE_TTL_SECONDS})
            pipe.expire(looking_key, PRESENCE_TTL_SECONDS)
        else:
            pipe.zrem(looking_key, connection_id)
        pipe.zcard(key)
        pipe.zcard(looking_key)
        results = pipe.execute()
        sockets_before, looking_before = int(results[2]), int(results[3])
        sockets_after, looking_after = int(results[-2]), int(results[-1])
        return StatusChange(
            status_of(sockets_before, looking_before), status_of(sockets_after, looking_after), sockets_after
        )

    def refresh(self, user_id: int, connection_id: str, looking: bool = True) -> None:
        pipe = get_redis().pipeline()
        _queue_refresh(pipe, user_id, connection_id, looking, time.time())
        pipe.execute()

    async def refresh_many(self, sockets: Iterable[tuple[int, str, bool]]) -> None:
        """Refresh many sockets' entries in one round trip (a worker's heartbeat)."""
        now = time.time()
        async with get_async_redis().pipeline(transaction=False) as pipe:
            for user_id, connection_id, looking in sockets:
                _queue_refresh(pipe, user_id, connection_id, looking, now)
            await pipe.execute()

    def _counts(self, user_ids: list[int], key: Any) -> list[int]:
        now = time.time()
        pipe = get_redis().pipeline()
        for user_id in user_ids:
            pipe.zcount(key(user_id), now, "+inf")
        return [int(count) for count in pipe.execute()]

    def online_user_ids(self, user_ids: Iterable[int]) -> set[int]:
        ids = list(user_ids)
        return {user_id for user_id, n in zip(ids, self._counts(ids, self._key), strict=True) if n}

    def looking_user_ids(self, user_ids: Iterable[int]) -> set[int]:
        ids = list(user_ids)
        return {user_id for user_id, n in zip(ids, self._counts(ids, self._looking_key), strict=True) if n}

    def statuses(self, user_ids: Iterable[int]) -> dict[int, Status]:
        ids = list(user_ids)
        now = time.time()
        pipe = get_redis().pipeline()
        for user_id in ids:
            pipe.zcount(self._key(user_id), now, "+inf")
            pipe.zcount(self._looking_key(user_id), now, "+inf")
        counts = pipe.execute()
        return {
            user_id: status_of(int(counts[2 * i]), int(counts[2 * i + 1])) for i, user_id in enumerate(ids)
        }

    def online_count(self) -> int:
        # A key outlives its last socket by at most PRESENCE_TTL_SECONDS; SCAN does not block Redis.
        return sum(1 for _ in get_redis().scan_iter(match="presence:*", count=1000))


def _queue_refresh(pipe: Any, user_id: int, connection_id: str, looking: bool, now: float) -> None:
    key = RedisPresence._key(user_id)
    pipe.zadd(key, {connection_id: now + PRESENCE_TTL_SECONDS})
    pipe.expire(key, PRESENCE_TTL_SECONDS)
    if looking:
        looking_key = RedisPresence._looking_key(user_id)
        pipe.zadd(looking_key, {connection_id: now + PRESENCE_TTL_SECONDS})
        pipe.expire(looking_key, PRESENCE_TTL_SECONDS)


class MemoryPresence(SocketTransitions):
    def __init__(self) -> None:
        self._expiry: dict[int, dict[str, float]] = {}
        self._looking: dict[int, dict[str, float]] = {}

    @staticmethod
    def _live_in(entries: dict[int, dict[str, float]], user_id: int) -> dict[str, float]:
        now = time.time()
        connections = {c: t for c, t in entries.get(user_id, {}).items() if t > now}
        entries[user_id] = connections
        return connections

    def _live(self, user_id: int) -> dict[str, float]:
        return self._live_in(self._expiry, user_id)

    def _live_looking(self, user_id: int) -> dict[str, float]:
        return self._live_in(self._looking, user_id)

    def _status(self, user_id: int) -> Status:
        return status_of(len(self._live(user_id)), len(self._live_looking(user_id)))

    def _change(self, user_id: int, connection_id: str, *, open_: bool, looking: bool) -> StatusChange:
        before = self._status(user_id)
        expiry = time.time() + PRESENCE_TTL_SECONDS
        if open_:
            self._live(user_id)[connection_id] = expiry
        else:
            self._live(user_id).pop(connection_id, None)
        if open_ and looking:
            self._live_looking(user_id)[connection_id] = expiry
        else:
            self._live_looking(user_id).pop(connection_id, None)
        return StatusChange(before, self._status(user_id), len(self._live(user_id)))

    def refresh(self, user_id: int, connection_id: str, looking: bool = True) -> None:
        expiry = time.time() + PRESENCE_TTL_SECONDS
        self._live(user_id)[connection_id] = expiry
        if looking:
            self._live_looking(user_id)[connection_id] = expiry

    async def refresh_many(self, sockets: Iterable[tuple[int, str, bool]]) -> None:
        for user_id, connection_id, looking in sockets:
            self.refresh(user_id, connection_id, looking)

    def online_user_ids(self, user_ids: Iterable[int]) -> set[int]:
        return {user_id for user_id in user_ids if self._live(user_id)}

    def looking_user_ids(self, user_ids: Iterable[int]) -> set[int]:
        return {user_id for user_id in user_ids if self._live_looking(user_id)}

    def statuses(self, user_ids: Iterable[int]) -> dict[int, Status]:
        return {user_id: self._status(user_id) for user_id in user_ids}

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
        self._not_looking: set[str] = set()  # connection ids whose page is hidden, unfocused or idle
        self._task: asyncio.Task[None] | None = None

    def keep(self, user_id: int, connection_id: str) -> None:
        self._sockets[connection_id] = user_id
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._beat(), name="presence-heartbeat")

    def set_looking(self, connection_id: str, looking: bool) -> None:
        if looking:
            self._not_looking.discard(connection_id)
        elif connection_id in self._sockets:
            self._not_looking.add(connection_id)

    def drop(self, connection_id: str) -> None:
        self._sockets.pop(connection_id, None)
        self._not_looking.discard(connection_id)

    async def _beat(self) -> None:
        while self._sockets:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            sockets = [
                (user_id, connection_id, connection_id not in self._not_looking)
                for connection_id, user_id in self._sockets.items()
            ]
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


def looking_user_ids(user_ids: Iterable[int]) -> set[int]:
    """The subset of `user_ids` present: some socket of theirs, on any worker, is looking."""
    return presence_store().looking_user_ids(user_ids)


def statuses(user_ids: Iterable[int]) -> dict[int, Status]:
    """Each user's status as others see it: online, idle or offline."""
    return presence_store().statuses(user_ids)
