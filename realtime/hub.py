"""Fan-out between workers: Redis pub/sub, one message per worker, parsed once per worker.

Channels' group layers cost one Redis message, one decode and one dispatch per *recipient* (benchmarks:
docs/benchmarks.md). Here every worker process keeps one pub/sub connection, subscribed to `conv.<id>` for
each conversation with a socket on this worker and to `user.<id>` for each user with a socket here. A
broadcast is published once (realtime.fanout builds it, serialised once); each worker parses it once and
hands the same `Broadcast` to its sockets, in publish order, without Redis round trips per recipient.

Pub/sub keeps nothing: a message published while a worker's connection is down is lost to that worker. When
the connection comes back, redis-py resubscribes, and every socket here is told to catch up from the journal
(`Listener.on_hub_reconnected`), as a client's `sync` would. Embedded mode (no REDIS_URL: one process) uses
`LocalHub`, which hands broadcasts straight to the sockets.

On a Redis Cluster (`ClusterHub`) the same runs over sharded pub/sub (SPUBLISH/SSUBSCRIBE): a channel lives
on the shard of its hash slot (a conversation's, on the shard of its journal), so a broadcast reaches that
shard and its subscribers only, not every node as classic pub/sub would. A worker keeps one subscription
connection per master it needs. When a master fails, its connection breaks: the channels it carried are
subscribed again on whichever node serves their slots once the cluster has promoted a replica, and the
sockets that follow them catch up from the journal, as after a reconnect."""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
import redis.asyncio as aioredis
from django.conf import settings
from redis._parsers.hiredis import NOT_ENOUGH_DATA
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from core import metrics
from core.per_loop import PerLoop
from core.redis import cluster_enabled, get_async_redis, new_async_cluster_client, redis_enabled
from realtime.frames import OutFrame
from realtime.outbox import held_writes

logger = logging.getLogger(__name__)

SUBSCRIBE_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 1.0  # how often the reader wakes to let redis-py check the connection's health
RETRY_SECONDS = 0.5


class BroadcastKind(enum.Enum):
    EVENT = "event"  # send `text` to the sockets; in `seq` order when `seq` is set
    SKIP = "skip"  # seq `seq` will never come: stop waiting for it
    MEMBERSHIP = "membership"  # follow (`added`) or stop following `conversation`, then send `text`
    CLOSE = "close"  # close with `code`: every socket of the user, or only those of login session `session`
    ACCOUNT = "account"  # the user's account changed (a verified email, a block): reload what is cached of it


@dataclass(frozen=True, slots=True)
class Broadcast:
    """One event for every socket that follows a channel."""

    kind: BroadcastKind
    conversation: int = 0
    seq: int | None = None
    text: str = ""
    exclude_user: int | None = None
    added: bool = False
    code: int = 0
    sent_at: float | None = None
    session: str = ""
    # The frame every local socket is sent, encoded for the wire at most once (not part of the value).
    out: OutFrame = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "out", OutFrame(self.text))

    def encode(self) -> bytes:
        """A JSON header line, then the already-serialised text as is (never serialised twice)."""
        return self.header_line() + self.text.encode()

    def header_line(self) -> bytes:
        header: dict[str, Any] = {
            k: v for k in _HEADER_FIELDS if (v := getattr(self, k)) not in (None, False, 0, "")
        }
        header["kind"] = self.kind.value
        return orjson.dumps(header) + b"\n"

    @classmethod
    def decode(cls, data: bytes) -> Broadcast:
        header_line, _, text = data.partition(b"\n")
        header = orjson.loads(header_line)
        return cls(kind=_KIND_OF_VALUE[header.pop("kind")], text=text.decode(), **header)


# What BroadcastKind(value) finds, without the enum's call (once per broadcast on every worker).
_KIND_OF_VALUE = {kind.value: kind for kind in BroadcastKind}
_BROADCAST_TYPES = (b"message", b"smessage")  # a pub/sub reply carrying a published message
_HEADER_FIELDS = ("conversation", "seq", "exclude_user", "added", "code", "sent_at", "session")


def script_publish_arguments(channel: str, broadcast: Broadcast) -> list[str | bytes]:
    """What a Lua script that also logs the broadcast's text needs to publish it: the command (SPUBLISH on a
    cluster), the channel and the header line, to which the script appends the text it was given anyway
    (`redis.call(command, channel, header .. text)`): the hub's wire format stays the hub's."""
    return ["SPUBLISH" if cluster_enabled() else "PUBLISH", channel, broadcast.header_line()]


class Listener(Protocol):
    """A socket. Called in publish order from the worker's one reader."""

    def on_broadcast(self, broadcast: Broadcast) -> None:
        """Take a broadcast without waiting (queue what is to be sent): every other socket of the worker
        is handed the same broadcast after this one."""

    async def on_hub_reconnected(self) -> None: ...


class Hub:
    """Which local sockets follow which channel, and handing them broadcasts."""

    def __init__(self) -> None:
        self._followers: dict[str, set[Listener]] = {}

    async def follow(self, channels: Iterable[str], listener: Listener) -> None:
        """Start handing `listener` every broadcast on `channels`; returns once they are subscribed."""
        wanted = list(channels)
        new = [channel for channel in wanted if not self._followers.get(channel)]
        for channel in wanted:
            self._followers.setdefault(channel, set()).add(listener)
        await self._subscribe(new, wanted)

    async def unfollow(self, channels: Iterable[str], listener: Listener) -> None:
        unused = []
        for channel in channels:
            followers = self._followers.get(channel)
            if followers is None:
                continue
            followers.discard(listener)
            if not followers:
                del self._followers[channel]
                unused.append(channel)
        if unused:
            await self._unsubscribe(unused)

    async def publish(self, channel: str, broadcast: Broadcast) -> None:
        raise NotImplementedError

    async def _subscribe(self, new: list[str], wanted: list[str]) -> None:
        """Nothing to do where broadcasts never leave the process."""

    async def _unsubscribe(self, channels: list[str]) -> None:
        """Nothing to do where broadcasts never leave the process."""

    def _hand_out(self, channel: str, broadcast: Broadcast) -> None:
        """O(sockets) work that never waits: each socket queues what it will send."""
        if broadcast.seq is not None:  # a message (presence and typing come and go uncounted)
            metrics.observe_fanout(broadcast.sent_at)
        for listener in list(self._followers.get(channel, ())):
            try:
                listener.on_broadcast(broadcast)
            except Exception:  # one broken socket must not cost the others their events
                logger.exception("a socket failed to take a broadcast on %s", channel)


class LocalHub(Hub):
    """Embedded mode: one process, so a broadcast goes straight to the sockets."""

    async def publish(self, channel: str, broadcast: Broadcast) -> None:
        self._hand_out(channel, broadcast)


class RedisHub(Hub):
    """Full-stack mode: publish to Redis; one reader per worker hands out what its subscriptions bring."""

    def __init__(self) -> None:
        super().__init__()
        # No socket timeout: the reader waits on the subscription by design (READ_TIMEOUT_SECONDS).
        client = aioredis.Redis.from_url(settings.REDIS_URL, health_check_interval=30)
        self._pubsub = client.pubsub()
        self._reader: asyncio.Task[None] | None = None
        self._confirmations: dict[str, asyncio.Future[None]] = {}
        self._watching_reconnects = False
        # redis-py's PubSub opens its connection on first use: concurrent first commands would each open
        # one (and all but the last go unread). Commands are writes only, so the lock is held briefly.
        self._commands = asyncio.Lock()

    async def publish(self, channel: str, broadcast: Broadcast) -> None:
        await get_async_redis().publish(channel, broadcast.encode())

    async def _subscribe(self, new: list[str], wanted: list[str]) -> None:
        """Subscribe to `new` channels, and wait until Redis has confirmed all `wanted` ones (some may be
        on their way for another socket), so that nothing published after this returns is missed: a socket
        reads its starting seqs after following."""
        if new:
            self._expect_confirmations(new)
            async with self._commands:
                await self._pubsub.subscribe(*new)
            self._watch_reconnects()
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read(), name="hub-reader")
        pending = [self._confirmations[c] for c in wanted if c in self._confirmations]
        if not pending:
            return
        try:
            await asyncio.wait_for(asyncio.gather(*pending), SUBSCRIBE_TIMEOUT_SECONDS)
        except TimeoutError:  # Redis is slow or reconnecting: the socket works, it may see a gap filled later
            logger.warning("subscription to %d channels not confirmed in time", len(pending))

    def _expect_confirmations(self, channels: Iterable[str]) -> list[asyncio.Future[None]]:
        loop = asyncio.get_running_loop()
        return [self._confirmations.setdefault(c, loop.create_future()) for c in channels]

    async def _unsubscribe(self, channels: list[str]) -> None:
        try:
            async with self._commands:
                await self._pubsub.unsubscribe(*channels)
        except (RedisError, OSError):  # reconnecting: redis-py resubscribes to what is still followed
            logger.warning("could not unsubscribe from %d channels", len(channels))

    def _watch_reconnects(self) -> None:
        """redis-py reconnects and resubscribes by itself; hear of it to let the sockets catch up."""
        if not self._watching_reconnects and self._pubsub.connection is not None:
            self._pubsub.connection.register_connect_callback(self._on_reconnect)
            self._watching_reconnects = True

    async def _on_reconnect(self, connection: Any) -> None:
        # redis-py has just sent the resubscription; its confirmations are read later, by our reader.
        resubscribed = self._expect_confirmations(self._followers)
        asyncio.get_running_loop().create_task(self._catch_up_after_reconnect(resubscribed, self._followers))

    async def _catch_up_after_reconnect(
        self, resubscribed: list[asyncio.Future[None]], channels: Iterable[str]
    ) -> None:
        """Once the resubscription is confirmed, every socket that follows one of `channels` catches up."""
        try:
            await asyncio.wait_for(asyncio.gather(*resubscribed), SUBSCRIBE_TIMEOUT_SECONDS)
        except TimeoutError:
            logger.warning("resubscription not confirmed; catching up anyway")
        listeners = {listener for channel in channels for listener in self._followers.get(channel, ())}
        logger.warning("Redis pub/sub reconnected: %d sockets catch up from the journal", len(listeners))
        for listener in listeners:
            try:
                await listener.on_hub_reconnected()
            except Exception:
                logger.exception("a socket failed to catch up after a reconnect")

    async def _read(self) -> None:
        while self._pubsub.subscribed or self._followers:
            try:
                replies = await next_replies(self._pubsub)
            except (RedisError, OSError):
                logger.warning("Redis pub/sub read failed; retrying")
                await asyncio.sleep(RETRY_SECONDS)
                continue
            await self._take_all(self._pubsub, replies)

    async def _take_all(self, pubsub: PubSub, replies: list[Any]) -> list[dict[str, Any]]:
        """Hand the broadcasts out, as they come: redis-py's `get_message` would first make a dict of each
        and record it for its observability hooks (~10 µs per broadcast here, docs/benchmarks.md), and each
        socket's frames of them leave in one write (realtime.outbox.HeldWrites). The other replies then
        go through `_take`; their messages are returned. Handling a subscription's confirmation after
        broadcasts read behind it changes nothing: its waiter runs only once this reader awaits."""
        others = []
        with held_writes.get().batch():
            for reply in replies:
                if isinstance(reply, list) and reply[0] in _BROADCAST_TYPES:
                    self._hand_out(reply[1].decode(), Broadcast.decode(reply[2]))
                else:
                    others.append(reply)
        messages = [await self._take(pubsub, reply) for reply in others]
        return [message for message in messages if message is not None]

    async def _take(self, pubsub: PubSub, response: Any) -> dict[str, Any] | None:
        """A reply that is not a broadcast goes through `handle_message`, which keeps redis-py's record of
        what is subscribed; it is returned."""
        if isinstance(response, Exception):  # an error reply read after another (next_replies) is not raised
            logger.warning("Redis pub/sub answered %r", response)
            return None
        message: dict[str, Any] | None = await pubsub.handle_message(response)
        if message is not None and message["type"] in ("subscribe", "ssubscribe"):
            confirmation = self._confirmations.pop(message["channel"].decode(), None)
            if confirmation is not None and not confirmation.done():
                confirmation.set_result(None)
        return message


async def next_replies(pubsub: PubSub) -> list[Any]:
    """The next reply on the subscription (none if nothing came within READ_TIMEOUT_SECONDS), then every
    other one already read from the socket. Under load one read brings many broadcasts; redis-py reads each
    through its health check, its retry wrapper, a deadline and its push handler (which makes a string of
    the whole reply for a debug line nobody sees): 20 against 10 µs a broadcast here. The others are taken
    from its parser's reader as they are; where its parser is not hiredis's, one reply at a time."""
    reply = await pubsub.parse_response(block=False, timeout=READ_TIMEOUT_SECONDS)
    if reply is None:
        return []
    replies = [reply]
    reader = _hiredis_reader(pubsub)
    while reader is not None and (reply := reader.gets()) is not NOT_ENOUGH_DATA:
        replies.append(reply)
    return replies


def _hiredis_reader(pubsub: PubSub) -> Any:
    """What turns the subscription's bytes into replies (a hiredis.Reader), if redis-py's parser has one."""
    return getattr(getattr(pubsub.connection, "_parser", None), "_reader", None)


@dataclass
class _ShardLink:
    """The subscription connection to one cluster node, and its reader."""

    pubsub: PubSub
    channels: set[str]
    reader: asyncio.Task[None] | None = None


class ClusterHub(RedisHub):
    """Redis Cluster: sharded pub/sub, one subscription connection per master that serves a channel here."""

    def __init__(self) -> None:
        Hub.__init__(self)
        self._confirmations = {}
        self._cluster = new_async_cluster_client(socket_timeout=5)
        self._links: dict[str, _ShardLink] = {}
        self._commands = asyncio.Lock()  # subscription changes, one at a time (see RedisHub)
        self._moving: set[asyncio.Task[None]] = set()

    async def publish(self, channel: str, broadcast: Broadcast) -> None:
        await get_async_redis().spublish(channel, broadcast.encode())

    async def _subscribe(self, new: list[str], wanted: list[str]) -> None:
        if new:
            self._expect_confirmations(new)
            try:
                async with self._commands:
                    await self._subscribe_on_owners(new)
            except (RedisError, OSError):  # a master this worker knew is gone: find where they are served now
                moving = asyncio.get_running_loop().create_task(self._move(new))
                self._moving.add(moving)  # a task nothing refers to may be collected before it ends
                moving.add_done_callback(self._moving.discard)
        pending = [self._confirmations[c] for c in wanted if c in self._confirmations]
        if not pending:
            return
        try:
            await asyncio.wait_for(asyncio.gather(*pending), SUBSCRIBE_TIMEOUT_SECONDS)
        except TimeoutError:
            logger.warning("subscription to %d shard channels not confirmed in time", len(pending))

    async def _subscribe_on_owners(self, channels: list[str]) -> None:
        """SSUBSCRIBE each channel on the master that serves its slot (one command per channel: a command's
        channels must share a slot)."""
        await self._cluster.initialize()  # once: the client keeps its slot map, refreshed on MOVED
        for channel in channels:
            node = self._cluster.get_node_from_key(channel)
            if node is None:  # the cluster serves no node for its slot right now (a failover)
                raise RedisError(f"no node serves {channel}")
            link = self._links.get(node.name) or _ShardLink(self._node_pubsub(node.host, node.port), set())
            await link.pubsub.ssubscribe(channel)  # a node that is down raises: the link is not kept
            self._links[node.name] = link
            link.channels.add(channel)
            if link.reader is None or link.reader.done():
                link.reader = asyncio.create_task(self._read_link(node.name, link), name="hub-shard-reader")

    @staticmethod
    def _node_pubsub(host: str, port: int | str) -> PubSub:
        # No retries of its own: a node that went away is the hub's to handle (its channels move).
        client = aioredis.Redis(
            host=host, port=int(port), health_check_interval=30, retry=Retry(NoBackoff(), 0)
        )
        return client.pubsub()

    async def _unsubscribe(self, channels: list[str]) -> None:
        async with self._commands:
            for link in list(self._links.values()):
                mine = [channel for channel in channels if channel in link.channels]
                link.channels.difference_update(mine)
                try:
                    for channel in mine:
                        await link.pubsub.sunsubscribe(channel)
                except (RedisError, OSError):  # the node is failing: its link is being replaced anyway
                    logger.warning("could not unsubscribe from %d shard channels", len(mine))

    async def _read_link(self, name: str, link: _ShardLink) -> None:
        while link.channels or link.pubsub.subscribed:
            try:
                replies = await next_replies(link.pubsub)
            except (RedisError, OSError):
                logger.warning("Redis Cluster node %s lost: moving its %d channels", name, len(link.channels))
                await self._move_channels_of(name, link)
                return
            for message in await self._take_all(link.pubsub, replies):
                if message["type"] == "sunsubscribe":
                    channel = message["channel"].decode()
                    if channel in link.channels:
                        # The node no longer serves the channel's slot (a failover or a resharding moved it).
                        link.channels.discard(channel)
                        await self._move([channel])

    async def _move_channels_of(self, name: str, link: _ShardLink) -> None:
        """The node is gone: drop its link, subscribe its channels wherever they are served now."""
        self._links.pop(name, None)
        try:
            await link.pubsub.aclose()
        except (RedisError, OSError):
            pass
        await self._move(sorted(link.channels))

    async def _move(self, channels: list[str]) -> None:
        """Subscribe `channels` again, retrying until the cluster serves their slots (a replica is promoted
        within the cluster's node timeout), then let their sockets catch up on what they missed."""
        while True:
            followed = [channel for channel in channels if channel in self._followers]
            resubscribed = self._expect_confirmations(followed)
            try:
                async with self._commands:
                    await self._cluster.nodes_manager.initialize()
                    await self._subscribe_on_owners(followed)
                break
            except (RedisError, OSError) as error:
                logger.warning("shard channels not served yet (%r); retrying", error)
                await asyncio.sleep(RETRY_SECONDS)
        await self._catch_up_after_reconnect(resubscribed, followed)


_redis_hubs = PerLoop(RedisHub)
_cluster_hubs = PerLoop(ClusterHub)
_local_hub = LocalHub()


def get_hub() -> Hub:
    """This event loop's hub (redis-py connections belong to the loop that opened them)."""
    if not redis_enabled():
        return _local_hub
    return _cluster_hubs.get() if cluster_enabled() else _redis_hubs.get()
