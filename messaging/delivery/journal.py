"""Sequence numbers, idempotency and the recent log that `sync` replays.

Full-stack mode keeps them in Redis, shared by every worker: `seq:<conversation>` (INCR),
`idem:<sender>:<client id>` (the acknowledged message, or "pending" while it is being made durable) and
`log:<conversation>` (a sorted set of the latest messages by seq, which covers messages acknowledged but not
yet written to PostgreSQL). The embedded mode has one process and writes each message before acknowledging
it, so the database serves."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from channels.db import database_sync_to_async
from django.db import transaction
from django.db.models import F
from redis.asyncio.client import Pipeline

from core.per_loop import PerLoop
from core.redis import get_async_redis, get_redis, redis_enabled
from messaging import selectors
from messaging.delivery.broker import LONGEST_SEND_SECONDS
from messaging.delivery.coalesce import Coalescer
from messaging.events import MessagePayload
from messaging.models import Conversation
from realtime.hub import Broadcast, get_hub, queue_publish

LOG_SIZE = 1000  # messages kept per conversation for replay; older gaps are filled from the database
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
# A send's client_id stays "pending" this long: longer than any send can wait for the broker, so a retry
# meanwhile is told `conflict`; a send whose worker died before the confirm frees its client_id after it.
PENDING_TTL_SECONDS = LONGEST_SEND_SECONDS + 5
# When a counter is lost (Redis restarted empty), restart it this far above the highest stored seq, so
# that acknowledged messages still queued for storage keep the lower seqs: seq increases, with a gap.
SEQ_RESUME_GAP = 1_000_000
PENDING = b"pending"


Published = tuple[str, Broadcast]  # a hub channel and what to publish on it


@dataclass(frozen=True)
class Reservation:
    """A fresh seq for a new message, or the acknowledged message this client_id already made; neither while
    the same client_id is being sent right now."""

    seq: int | None = None
    existing: MessagePayload | None = None


class Journal(Protocol):
    async def reserve(self, *, sender_id: int, client_id: UUID, conversation_id: int) -> Reservation: ...

    async def commit(self, message: MessagePayload, *, then_publish: Published | None = None) -> None: ...

    async def release(self, *, sender_id: int, client_id: UUID | str) -> None: ...

    async def replay(
        self, conversation_id: int, after_seq: int, before_seq: int | None = None
    ) -> list[MessagePayload]: ...

    async def last_seqs(self, conversation_ids: list[int]) -> dict[int, int]: ...


def _idem_key(sender_id: int, client_id: UUID | str) -> str:
    return f"idem:{sender_id}:{client_id}"


def _seq_key(conversation_id: int) -> str:
    return f"seq:{conversation_id}"


def _log_key(conversation_id: int) -> str:
    return f"log:{conversation_id}"


# Returns {0, message} for a repeated client_id, {1, seq} for a fresh seq, {2} while the same client_id is in
# flight, {3} when the conversation's counter must first be initialised.
RESERVE_SCRIPT = """
local existing = redis.call('GET', KEYS[1])
if existing then
  if existing == 'pending' then return {2} end
  return {0, existing}
end
if redis.call('EXISTS', KEYS[2]) == 0 then return {3} end
redis.call('SET', KEYS[1], 'pending', 'EX', ARGV[1])
return {1, redis.call('INCR', KEYS[2])}
"""

RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == 'pending' then redis.call('DEL', KEYS[1]) end
"""


# An edited or deleted message replaces its copy in the log (only if still there: an old entry put back would
# make the log look like it covers a range it does not) and in its idempotency record.
REWRITE_SCRIPT = """
if redis.call('ZCOUNT', KEYS[1], ARGV[1], ARGV[1]) > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('SET', KEYS[2], ARGV[2], 'KEEPTTL') end
"""


Commit = tuple[MessagePayload, Published | None]


class RedisJournal:
    """One per event loop: concurrent sends share their Redis round trips (messaging.delivery.coalesce)."""

    def __init__(self) -> None:
        self._reserves: Coalescer[list[str], list[Any]] = Coalescer(_reserve_batch)
        self._commits: Coalescer[Commit, None] = Coalescer(_commit_batch)

    async def reserve(self, *, sender_id: int, client_id: UUID, conversation_id: int) -> Reservation:
        keys = [_idem_key(sender_id, client_id), _seq_key(conversation_id)]
        result = await self._reserves.submit(keys)
        if result[0] == 3:
            await self._initialise_counter(conversation_id)
            result = await self._reserves.submit(keys)
        outcome = result[0]
        if outcome == 0:
            return Reservation(existing=json.loads(result[1]))
        if outcome == 2:
            return Reservation()
        return Reservation(seq=int(result[1]))

    async def _initialise_counter(self, conversation_id: int) -> None:
        stored = await database_sync_to_async(selectors.conversation_last_seq)(
            conversation_id=conversation_id
        )
        await get_async_redis().set(_seq_key(conversation_id), stored + SEQ_RESUME_GAP, nx=True)

    async def commit(self, message: MessagePayload, *, then_publish: Published | None = None) -> None:
        """Log the message for replay, remember it for its client_id, then publish `then_publish` (the
        hub's PUBLISH, as RedisHub.publish makes it), in that order, so a socket that hears of the message
        can already replay it."""
        await self._commits.submit((message, then_publish))

    async def release(self, *, sender_id: int, client_id: UUID | str) -> None:
        await get_async_redis().eval(RELEASE_SCRIPT, 1, _idem_key(sender_id, client_id))

    async def replay(
        self, conversation_id: int, after_seq: int, before_seq: int | None = None
    ) -> list[MessagePayload]:
        upper = "+inf" if before_seq is None else f"({before_seq}"
        entries = await get_async_redis().zrangebyscore(_log_key(conversation_id), f"({after_seq}", upper)
        logged = [json.loads(entry) for entry in entries if isinstance(entry, bytes | str)]
        # The log may start later than the client's position, or hold nothing of the range: the database has
        # what lies between after_seq and the oldest logged entry (or the range's end).
        database_before = logged[0]["seq"] if logged else before_seq
        if database_before == after_seq + 1:
            return logged
        stored = await database_sync_to_async(selectors.message_payloads_between)(
            conversation_id=conversation_id, after_seq=after_seq, before_seq=database_before
        )
        return stored + logged

    async def last_seqs(self, conversation_ids: list[int]) -> dict[int, int]:
        """The highest seq already broadcast per conversation: the log's newest entry, or, where the log is
        empty (a new conversation, or Redis restarted empty), the highest stored seq."""
        async with get_async_redis().pipeline(transaction=False) as pipe:
            for conversation_id in conversation_ids:
                pipe.zrange(_log_key(conversation_id), -1, -1, withscores=True)
            newest = await pipe.execute()
        last = {cid: int(entry[0][1]) for cid, entry in zip(conversation_ids, newest, strict=True) if entry}
        unlogged = [cid for cid in conversation_ids if cid not in last]
        if unlogged:
            last |= await database_sync_to_async(selectors.conversations_last_seq)(conversation_ids=unlogged)
        return last


async def _reserve_batch(requests: list[list[str]]) -> list[list[Any] | Exception]:
    async with get_async_redis().pipeline(transaction=False) as pipe:
        for keys in requests:
            pipe.eval(RESERVE_SCRIPT, 2, *keys, PENDING_TTL_SECONDS)
        return await pipe.execute(raise_on_error=False)


async def _commit_batch(commits: list[Commit]) -> list[None | Exception]:
    """Every commit's commands in one pipeline, in commit order; a commit fails if one of its commands did."""
    async with get_async_redis().pipeline(transaction=False) as pipe:
        command_counts = [_queue_commit(pipe, message, then_publish) for message, then_publish in commits]
        replies = iter(await pipe.execute(raise_on_error=False))
    outcomes: list[None | Exception] = []
    for count in command_counts:
        own = [next(replies) for _ in range(count)]
        outcomes.append(next((reply for reply in own if isinstance(reply, Exception)), None))
    return outcomes


def _queue_commit(pipe: Pipeline, message: MessagePayload, then_publish: Published | None) -> int:
    """Queue one commit's commands; returns how many."""
    queued_before = len(pipe)
    text = json.dumps(message, separators=(",", ":"))
    log = _log_key(message["conversation"])
    pipe.zadd(log, {text: message["seq"]})
    pipe.zremrangebyrank(log, 0, -LOG_SIZE - 1)
    pipe.set(_idem_key(message["sender"]["id"], message["client_id"]), text, ex=IDEMPOTENCY_TTL_SECONDS)
    if then_publish is not None:
        queue_publish(pipe, *then_publish)
    return len(pipe) - queued_before


class DatabaseJournal:
    """Embedded mode: one process, messages stored before they are acknowledged."""

    def __init__(self) -> None:
        self._in_flight: set[tuple[int, str]] = set()

    async def reserve(self, *, sender_id: int, client_id: UUID, conversation_id: int) -> Reservation:
        key = (sender_id, str(client_id))
        if key in self._in_flight:
            return Reservation()
        existing = await database_sync_to_async(selectors.message_payload_by_client_id)(
            sender_id=sender_id, client_id=client_id
        )
        if existing is not None:
            return Reservation(existing=existing)
        self._in_flight.add(key)
        return Reservation(seq=await database_sync_to_async(_allocate_seq)(conversation_id))

    async def commit(self, message: MessagePayload, *, then_publish: Published | None = None) -> None:
        self._in_flight.discard((message["sender"]["id"], message["client_id"]))
        if then_publish is not None:
            await get_hub().publish(*then_publish)

    async def release(self, *, sender_id: int, client_id: UUID | str) -> None:
        self._in_flight.discard((sender_id, str(client_id)))

    async def replay(
        self, conversation_id: int, after_seq: int, before_seq: int | None = None
    ) -> list[MessagePayload]:
        return await database_sync_to_async(selectors.message_payloads_between)(
            conversation_id=conversation_id, after_seq=after_seq, before_seq=before_seq
        )

    async def last_seqs(self, conversation_ids: list[int]) -> dict[int, int]:
        return await database_sync_to_async(selectors.conversations_last_seq)(
            conversation_ids=conversation_ids
        )


def _allocate_seq(conversation_id: int) -> int:
    with transaction.atomic():
        Conversation.objects.filter(pk=conversation_id).update(last_seq=F("last_seq") + 1)
        return Conversation.objects.values_list("last_seq", flat=True).get(pk=conversation_id)


def initialise_counter(conversation_id: int) -> None:
    """A new conversation's counter starts at 0 (called after the conversation is committed)."""
    if redis_enabled():
        get_redis().set(_seq_key(conversation_id), 0, nx=True)


def newest_seq(conversation: Conversation) -> int:
    """The highest seq given out in a conversation so far (its message may still be in flight)."""
    counter = get_redis().get(_seq_key(conversation.pk)) if redis_enabled() else None
    return max(int(counter or 0), conversation.last_seq)


def remember_changed(message: MessagePayload) -> None:
    """Keep replays and retries showing a message as it is now, after an edit or a deletion."""
    if redis_enabled():
        keys = [_log_key(message["conversation"]), _idem_key(message["sender"]["id"], message["client_id"])]
        get_redis().eval(REWRITE_SCRIPT, 2, *keys, message["seq"], json.dumps(message, separators=(",", ":")))


_database_journal = DatabaseJournal()


_redis_journals = PerLoop(RedisJournal)


def get_journal() -> Journal:
    return _redis_journals.get() if redis_enabled() else _database_journal
