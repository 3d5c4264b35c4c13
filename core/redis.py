"""Shared Redis clients for the full-stack mode (REDIS_URL). One pool per process, or per event loop
for the asyncio client, since redis.asyncio connections belong to the loop that opened them.

With REDIS_CLUSTER_URLS (or a redis+cluster:// REDIS_URL) the clients are redis-py's cluster clients,
typed as the single-server ones: every command Parley sends works on both (per-conversation keys share a
hash tag, `conversation_tag`, so one conversation's scripts and pipelines stay on one slot)."""

import asyncio
import hashlib
from collections.abc import Sequence
from functools import cache, partial
from typing import Any, cast
from urllib.parse import SplitResult, urlsplit

import hiredis
import redis
import redis.asyncio as aioredis
import redis.asyncio.cluster as aiocluster
import redis.cluster
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from redis.connection import HiredisRespSerializer, parse_url
from redis.exceptions import NoScriptError, ResponseError

from core.per_loop import PerLoop

ASYNC_POOL_SIZE = 200  # connections per worker process (per node, on a cluster)
ASYNC_POOL_WAIT_SECONDS = 5
SOCKET_TIMEOUT_SECONDS = 5


# Asked a dozen times per message sent (every key and channel name): remembered, not read from the settings
# object each time (0.33 µs apiece), and forgotten when a test changes them.
@cache
def redis_enabled() -> bool:
    return bool(settings.REDIS_URL)


@cache
def cluster_enabled() -> bool:
    return bool(settings.REDIS_CLUSTER_URLS)


@receiver(setting_changed)
def _forget_modes(*, setting: str, **kwargs: Any) -> None:
    if setting in ("REDIS_URL", "REDIS_CLUSTER_URLS"):
        redis_enabled.cache_clear()
        cluster_enabled.cache_clear()


def cluster_nodes() -> list[tuple[str, int]]:
    """The cluster's startup nodes, (host, port), as configured."""
    nodes = []
    for url in settings.REDIS_CLUSTER_URLS:
        parts = urlsplit(url)
        nodes.append((parts.hostname or "127.0.0.1", parts.port or 6379))
    return nodes


def conversation_tag(conversation_id: int) -> str:
    """What names a conversation in its Redis keys and channel. On a cluster, a hash tag: every key of the
    conversation (seq counter, recent log, idempotency records) and its pub/sub channel hash to one slot,
    so its Lua scripts and pipelines run on one shard and its broadcasts go to that shard alone. A single
    server keeps the plain id (the keys' names are unchanged)."""
    return f"{{conv:{conversation_id}}}" if cluster_enabled() else str(conversation_id)


@cache
def pubsub_namespace(url: str) -> str:
    """The prefix of our pub/sub channels. Keys belong to the database named in REDIS_URL, but pub/sub
    channels are shared by every database of a server: without the database number in their names, two
    installations sharing a Redis server through different databases would deliver each other's messages."""
    return f"db{parse_url(url).get('db', 0)}:" if url else ""


@cache
def get_redis() -> redis.Redis:
    if cluster_enabled():
        return cast(redis.Redis, new_cluster_client())
    return redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=SOCKET_TIMEOUT_SECONDS, health_check_interval=30
    )


def new_cluster_client() -> redis.cluster.RedisCluster:
    nodes = [redis.cluster.ClusterNode(host, port) for host, port in cluster_nodes()]
    return redis.cluster.RedisCluster(
        startup_nodes=nodes,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        username=_first_url().username,
        password=_first_url().password,
    )


def get_async_redis() -> aioredis.Redis:
    return _async_clients.get()


def new_async_cluster_client(
    *, max_connections: int = 100, socket_timeout: float | None = SOCKET_TIMEOUT_SECONDS
) -> aiocluster.RedisCluster:
    nodes = [aiocluster.ClusterNode(host, port) for host, port in cluster_nodes()]
    return aiocluster.RedisCluster(
        startup_nodes=nodes,
        max_connections=max_connections,
        socket_timeout=socket_timeout,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        username=_first_url().username,
        password=_first_url().password,
    )


def _first_url() -> SplitResult:
    """The first node's URL: its user name and password are every node's."""
    return urlsplit(settings.REDIS_CLUSTER_URLS[0])


def get_async_redis_for_round_trips() -> aioredis.Redis:
    """A client whose replies have no deadline each, for a caller that sets one deadline around a whole round
    trip (a pipeline of many commands): with a socket timeout, redis-py enters and leaves an asyncio timeout
    for every reply it reads, about a fifth of a pipeline's client-side time."""
    return _round_trip_clients.get()


def _new_async_client(*, socket_timeout: float | None = SOCKET_TIMEOUT_SECONDS) -> aioredis.Redis:
    if cluster_enabled():
        return cast(
            aioredis.Redis,
            new_async_cluster_client(max_connections=ASYNC_POOL_SIZE, socket_timeout=socket_timeout),
        )
    # Blocking: a burst (hundreds of sockets connecting or leaving at once) waits for a free connection
    # instead of failing with MaxConnectionsError, as redis-py's default pool does past its limit.
    pool = aioredis.BlockingConnectionPool.from_url(
        settings.REDIS_URL,
        max_connections=ASYNC_POOL_SIZE,
        timeout=ASYNC_POOL_WAIT_SECONDS,
        socket_timeout=socket_timeout,
        health_check_interval=30,
    )
    pool.connection_class = packing_commands_in_c(pool.connection_class)  # chosen by the URL's scheme
    return aioredis.Redis(connection_pool=pool)


Command = tuple[Any, ...]  # a command's name and arguments, as redis-py's execute_command takes them


class RoundTrips:
    """Round trips of many commands, one at a time, for one caller that never starts one before the last has
    ended (a Coalescer: messaging.delivery.coalesce). Each round trip writes every command at once and reads
    every reply back, under one deadline, on a connection of its own.

    redis-py's pipeline spends twice the CPU on the same round trip — checking a connection out of the pool
    and back in, a retry wrapper (that retries nothing here), a command stack, a callback per reply: 122
    against 60 µs for three journal commits here (docs/benchmarks.md, "What changed"). On a cluster, where
    commands go to their slots' nodes, the round trip is redis-py's cluster pipeline.

    A Lua script (EVAL) goes by its digest (EVALSHA): with its text, Redis reads and hashes the script at
    every call. A script is loaded in the round trip that first uses it, ahead of its commands; one the
    server lost since (a restart, a failover, SCRIPT FLUSH) is loaded again and its commands run again in a
    second round trip (the batch's other commands have run: a commit published after a later one is put
    back in order by its receivers, as any gap is)."""

    def __init__(self) -> None:
        self._connection: aioredis.connection.AbstractConnection | None = None
        self._loaded: set[str] = set()  # the scripts the connection's server holds

    async def run(self, commands: Sequence[Command]) -> list[Any]:
        """Each command's reply, or the ResponseError Redis answered it with. Raises if the round trip failed
        (its connection was lost, or the deadline passed): which commands ran is unknown, and the next round
        trip opens another connection."""
        async with asyncio.timeout(SOCKET_TIMEOUT_SECONDS):
            if cluster_enabled():
                return await _run_in_cluster_pipeline(commands)
            if self._connection is None:  # its pool's settings: packed in C, no deadline per reply
                self._connection = get_async_redis_for_round_trips().connection_pool.make_connection()
            # A write or read that fails or is cancelled drops the connection (redis-py's own rule): a reply
            # still on its way is never read as the next round trip's.
            connection = self._connection
            replies = await self._round_trip(connection, commands)
            lost = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
            if lost:
                self._loaded.clear()
                again = await self._round_trip(connection, [commands[i] for i in lost])
                for i, reply in zip(lost, again, strict=True):
                    replies[i] = reply
            return replies

    async def _round_trip(
        self, connection: aioredis.connection.AbstractConnection, commands: Sequence[Command]
    ) -> list[Any]:
        loads: list[Command] = []
        sent = [self._by_digest(command, loads) for command in commands]
        await connection.send_packed_command(connection.pack_commands([*loads, *sent]))
        for _ in loads:
            await _reply(connection)  # its digest; a script that does not compile fails its commands
        return [await _reply(connection) for _ in sent]

    def _by_digest(self, command: Command, loads: list[Command]) -> Command:
        """`command`, a script by its digest; its load added to `loads` if the server may lack it."""
        if command[0] != "EVAL":
            return command
        script = command[1]
        if script not in self._loaded:
            self._loaded.add(script)
            loads.append(("SCRIPT", "LOAD", script))
        return ("EVALSHA", script_digest(script), *command[2:])


@cache
def script_digest(script: str) -> str:
    """The SHA1 digest Redis names a script by."""
    return hashlib.sha1(script.encode(), usedforsecurity=False).hexdigest()


async def _reply(connection: aioredis.connection.AbstractConnection) -> Any:
    try:
        return await connection.read_response()
    except ResponseError as error:  # an error reply, read: the connection is in step
        return error


async def _run_in_cluster_pipeline(commands: Sequence[Command]) -> list[Any]:
    async with get_async_redis_for_round_trips().pipeline(transaction=False) as pipe:
        for command in commands:
            pipe.execute_command(*command)
        return await pipe.execute(raise_on_error=False)


class _CommandsPackedInC:
    """redis-py's synchronous connections pack commands with hiredis's C packer; its asyncio connections
    still pack them in Python (redis/redis-py#4176), at ~3.5× the CPU for a journal commit (19 → 5 µs).
    Mixed into an asyncio connection class, it packs them as the synchronous ones do: the same bytes, and
    the same DataError for an argument Redis cannot take. A command named in one word (all of Parley's)
    goes to hiredis as it is: redis-py's serializer first splits a name like "CLIENT SETNAME" and copies
    every argument into a new tuple (2.7 against 0.9 µs for a reservation)."""

    _packer = HiredisRespSerializer()

    def pack_command(self, *args: Any) -> list[bytes]:
        name = args[0]
        if type(name) is str and " " not in name:
            try:
                return [hiredis.pack_command(args)]
            except TypeError:  # an argument hiredis takes only converted (a memoryview), or a DataError
                pass
        return self._packer.pack(*args)


def packing_commands_in_c(
    connection_class: type[aioredis.connection.AbstractConnection],
) -> type[aioredis.connection.AbstractConnection]:
    """`connection_class` (TCP, TLS or Unix socket) with its commands packed by hiredis."""
    return type(connection_class.__name__, (_CommandsPackedInC, connection_class), {})


_async_clients = PerLoop(_new_async_client)
_round_trip_clients = PerLoop(partial(_new_async_client, socket_timeout=None))
