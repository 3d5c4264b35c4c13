"""Sequence numbers, idempotency and the recent log that `sync` replays.

Every event of a conversation — a message, or a change members see (messaging.delivery.eventlog) — takes
the next `seq` of its conversation and is logged by it. Full-stack mode keeps this in Redis, shared by every
worker: `seq:<conversation>` (INCR), `idem:<sender>:<client id>` (the acknowledged message's frame, or
"pending" while it is being made durable) and `log:<conversation>` (a sorted set of the latest events'
frames by seq, which covers messages acknowledged but not yet written to PostgreSQL). A pending record also
keeps the seq and id (a UUIDv7, which holds its time) its message was given, so that a send whose outcome
is unknown (the broker lost the connection before confirming; the worker died) is retried as the very same
message. On a Redis Cluster every key of a conversation carries its hash tag (core.redis.conversation_tag),
the idempotency records too (`idem:{conv:<id>}:<sender>:<client id>`), so each conversation's scripts and
pipelines run on one shard; and each counter remembers the replication id of the master that last counted
(`writer:`): after a failover the promoted replica may lack its old master's last increments, so a counter
written under another replication id is treated as lost, exactly as after a restart
(initialise_lost_counter). Older events are replayed from storage (messaging.selectors.events_between). The
embedded mode has one process and writes each message before acknowledging it, so the database serves."""

from __future__ import annotations

import asyncio
import functools
import json
from dataclasses import dataclass
from typing import Any, Protocol, cast
from uuid import UUID

from channels.db import database_sync_to_async
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from uuid6 import uuid7

from core.per_loop import PerLoop
from core.redis import (
    Command,
    RoundTrips,
    cluster_enabled,
    conversation_tag,
    get_async_redis,
    get_redis,
    redis_enabled,
)
from messaging import events, selectors
from messaging.delivery.broker import LONGEST_SEND_SECONDS
from messaging.delivery.coalesce import Coalescer
from messaging.events import MessagePayload
from messaging.models import Conversation
from realtime.frames import to_json
from realtime.hub import Broadcast, get_hub, script_publish_arguments
from realtime.stream import REPLAY_PAGE, Replay

LOG_SIZE = 1000  # events kept per conversation for replay; older ones are replayed from the database
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
# A send holds its client_id this long: longer than any send can wait for the broker, so a retry meanwhile
# is told `conflict`; after it (the send's worker died), a retry sends the same message again.
PENDING_SECONDS = LONGEST_SEND_SECONDS + 5
# When a counter is lost (Redis restarted empty), restart it this far above the highest stored seq, so
# that acknowledged messages still queued for storage keep the lower seqs: seq increases, with a gap.
SEQ_RESUME_GAP = 1_000_000
# For this long after a conversation's counter was lost, a send whose client_id Redis does not know is first
# looked up in storage: it may be the retry of a message acknowledged before Redis lost its records.
RECOVERY_SECONDS = 3600
PENDING = b"pending"
# While an event loop sends its journal more than BUSY_COMMANDS_PER_SECOND commands (a reserve and a commit
# per message), its round trips go at most one per ROUND_TRIP_INTERVAL_SECONDS, so that each carries more
# of them (messaging.delivery.coalesce); below it, each goes at once.
ROUND_TRIP_INTERVAL_SECONDS = 0.002
BUSY_COMMANDS_PER_SECOND = 1000


Published = tuple[str, Broadcast]  # a hub channel and what to publish on it
Frame = tuple[int, str | None]  # (seq, frame text, or None: nothing to send at this seq)


@dataclass(frozen=True)
class Attempt:
    """What a client_id's message is from its first send on: its seq and id (a UUIDv7: its time too)."""

    seq: int
    message_id: str

    @classmethod
    def decode(cls, text: str | bytes) -> Attempt:
        seq, message_id = _text(text).split(":")
        return cls(int(seq), message_id)


@dataclass(frozen=True)
class Reservation:
    """What to send (`attempt`), or the acknowledged message this client_id already made (`existing`);
    neither while the same client_id is being sent right now. `retried`: an earlier send of this client_id
    may have reached the broker (its outcome was unknown, or its worker died), so `attempt` is that send's
    message and the seq is not the newest. `recovering`: Redis lost its records of this conversation a short
    while ago, so a client_id it does not know must be looked up in storage before it is sent."""

    attempt: Attempt | None = None
    existing: MessagePayload | None = None
    recovering: bool = False
    retried: bool = False

    @property
    def seq(self) -> int | None:
        return self.attempt.seq if self.attempt is not None else None


class Journal(Protocol):
    async def reserve(
        self, *, sender_id: int, client_id: UUID, conversation_id: int, checked_storage: bool = False
    ) -> Reservation: ...

    async def end_recovery(self, conversation_id: int) -> None: ...

    async def commit(self, message: MessagePayload, *, then_publish: Published | None = None) -> None: ...

    async def release(self, *, conversation_id: int, sender_id: int, client_id: UUID | str) -> None: ...

    async def hold(self, *, conversation_id: int, sender_id: int, client_id: UUID | str) -> None: ...

    async def replay(
        self, conversation_id: int, after_seq: int, before_seq: int | None = None, limit: int = REPLAY_PAGE
    ) -> Replay: ...

    async def last_seqs(self, conversation_ids: list[int]) -> dict[int, int]: ...


def idem_key(conversation_id: int, sender_id: int, client_id: UUID | str) -> str:
    if cluster_enabled():  # in the conversation's slot, for the reservation script
        return f"idem:{conversation_tag(conversation_id)}:{sender_id}:{client_id}"
    return f"idem:{sender_id}:{client_id}"


def seq_key(conversation_id: int) -> str:
    return f"seq:{conversation_tag(conversation_id)}"


def log_key(conversation_id: int) -> str:
    return f"log:{conversation_tag(conversation_id)}"


def recovering_key(conversation_id: int) -> str:
    return f"recovering:{conversation_tag(conversation_id)}"


def writer_key(conversation_id: int) -> str:
    """Cluster only: the replication id of the master that last counted the conversation's seqs."""
    return f"writer:{conversation_tag(conversation_id)}"


def counter_keys(conversation_id: int) -> list[str]:
    """The keys a counting script takes, after its own: the counter, and on a cluster its writer."""
    keys = [seq_key(conversation_id)]
    return [*keys, writer_key(conversation_id)] if cluster_enabled() else keys


def message_of(frame_text: str | bytes) -> MessagePayload:
    """The message a logged `message.new` frame carries."""
    message: MessagePayload = json.loads(frame_text)["message"]
    return message


# Returns {0, frame} for a repeated client_id, {1, seq} for a fresh seq, {2} while the same client_id is in
# flight, {3} when the conversation's counter must first be initialised, {4} when the client_id is unknown
# but the conversation's records were lost a short while ago (look in storage first), {5, attempt} when an
# earlier send of it may have reached the broker. While a send is in flight (until its deadline, ARGV[1]
# seconds on), its client_id's record (KEYS[1], kept as long as an acknowledged one's) is
# "pending:<deadline>:<attempt>", the attempt being "<seq>:<id>" (ARGV[3]: the new message's id).
RESERVE_SCRIPT = f"""
local function pending(attempt)
  return 'pending:' .. (redis.call('TIME')[1] + ARGV[1]) .. ':' .. attempt
end
local existing = redis.call('GET', KEYS[1])
if existing then
  if existing == 'pending' then return {{2}} end  -- a worker of the release before this one is sending it
  local deadline, attempt = string.match(existing, '^pending:(%d+):(.+)$')
  if not deadline then return {{0, existing}} end
  if tonumber(deadline) > tonumber(redis.call('TIME')[1]) then return {{2}} end
  redis.call('SET', KEYS[1], pending(attempt), 'EX', {IDEMPOTENCY_TTL_SECONDS})
  return {{5, attempt}}
end
if redis.call('EXISTS', KEYS[2]) == 0 then return {{3}} end
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then return {{4}} end
local seq = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], pending(seq .. ':' .. ARGV[3]), 'EX', {IDEMPOTENCY_TTL_SECONDS})
return {{1, seq}}
"""


def counter_checked(script: str, seq: int) -> str:
    """On a cluster, `script` preceded by the failover check of its counter (KEYS index `seq`), whose writer
    key is the script's last key: a counter last written under another replication id (its master failed
    and a replica that may lack the latest increments took over) is dropped, so that it is initialised
    again above everything stored. The single-server scripts stay as they are."""
    if not cluster_enabled():
        return script
    check = f"""
local replid = string.match(redis.call('INFO', 'replication'), 'master_replid:(%w+)')
if redis.call('GET', KEYS[#KEYS]) ~= replid then
  redis.call('DEL', KEYS[{seq}])
  redis.call('SET', KEYS[#KEYS], replid)
end
"""
    return check + script


# Cluster only: a counter (KEYS[1]) starts at ARGV[1] under this master's replication id (KEYS[2]); a lost
# one also marks its conversation recovering (KEYS[3]) for ARGV[2] seconds.
INITIALISE_SCRIPT = """
redis.call('SET', KEYS[1], ARGV[1], 'NX')
redis.call('SET', KEYS[2], string.match(redis.call('INFO', 'replication'), 'master_replid:(%w+)'))
if KEYS[3] then redis.call('SET', KEYS[3], 1, 'EX', ARGV[2], 'NX') end
"""

# Logs an event's frame (ARGV[2]) at its seq (ARGV[1]) in its conversation's recent log (KEYS[1]), keeping
# the newest entries (ARGV[3]: the rank below which to trim); with KEYS[2], keeps it as that client_id's
# message for ARGV[4] seconds; with ARGV[5..7] (realtime.hub.script_publish_arguments), then publishes it.
# A message's client_id record is pending until this command; one that no longer is holds the message as it
# is now: it was stored and changed (an edit, a deletion, its author's erasure) while this worker was
# between the ack and this command, and the rewrite (REWRITE_SCRIPT, messaging.delivery.eventlog), finding
# no log entry to replace, rewrote that record. That frame is then logged and published instead of
# ARGV[2], whose words may be gone.
# One command where there were four: a worker's CPU goes to each command it packs and each reply it parses
# far more than Redis's to running them (docs/benchmarks.md), and the frame crosses the wire once.
LOG_SCRIPT = """
local text = ARGV[2]
if KEYS[2] then
  local now = redis.call('GET', KEYS[2])
  if now and string.sub(now, 1, 7) ~= 'pending' then
    text = now
  else
    redis.call('SET', KEYS[2], text, 'EX', ARGV[4])
  end
end
redis.call('ZADD', KEYS[1], ARGV[1], text)
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, ARGV[3])
if ARGV[5] then redis.call(ARGV[5], ARGV[6], ARGV[7] .. text) end
"""

RELEASE_SCRIPT = """
local existing = redis.call('GET', KEYS[1])
if existing and string.sub(existing, 1, 7) == 'pending' then redis.call('DEL', KEYS[1]) end
"""

# The send's outcome is unknown: its deadline passes at once, so that a retry sends its message again.
HOLD_SCRIPT = """
local existing = redis.call('GET', KEYS[1])
local attempt = existing and string.match(existing, '^pending:%d+:(.+)$')
if attempt then redis.call('SET', KEYS[1], 'pending:0:' .. attempt, 'KEEPTTL') end
"""


ReplayRange = tuple[int, int, int | None, int]  # (conversation, after seq, before seq or None, limit)


class RedisJournal:
    """One per event loop: concurrent sends share their Redis round trips (messaging.delivery.coalesce),
    reserves and commits alike — while one pipeline is in flight, both queue for the next. Concurrent
    replays of the same range share one fetch."""

    def __init__(self) -> None:
        self._round_trips: Coalescer[Command, Any] = Coalescer(
            RoundTrips().run, min_interval=ROUND_TRIP_INTERVAL_SECONDS, busy_rate=BUSY_COMMANDS_PER_SECOND
        )
        self._replays: dict[ReplayRange, asyncio.Future[Replay]] = {}

    async def reserve(
        self, *, sender_id: int, client_id: UUID, conversation_id: int, checked_storage: bool = False
    ) -> Reservation:
        """`checked_storage`: the caller looked the client_id up in storage already (see Reservation)."""
        keys = [
            idem_key(conversation_id, sender_id, client_id),
            seq_key(conversation_id),
            recovering_key(conversation_id),
            *counter_keys(conversation_id)[1:],
        ]
        script, check_recovery = counter_checked(RESERVE_SCRIPT, seq=2), "0" if checked_storage else "1"
        message_id = str(uuid7())
        reserve = ("EVAL", script, len(keys), *keys, PENDING_SECONDS, check_recovery, message_id)
        result = await self._round_trips.submit(reserve)
        if result[0] == 3:
            await database_sync_to_async(initialise_lost_counter)(conversation_id)
            result = await self._round_trips.submit(reserve)
        outcome = result[0]
        if outcome == 0:
            return Reservation(existing=message_of(result[1]))
        if outcome == 2:
            return Reservation()
        if outcome == 4:
            return Reservation(recovering=True)
        if outcome == 5:
            return Reservation(attempt=Attempt.decode(result[1]), retried=True)
        return Reservation(attempt=Attempt(int(result[1]), message_id))

    async def end_recovery(self, conversation_id: int) -> None:
        """Storage holds everything acknowledged before the conversation's records were lost."""
        await get_async_redis().delete(recovering_key(conversation_id))

    async def commit(self, message: MessagePayload, *, then_publish: Published | None = None) -> None:
        """Log the message for replay, remember it for its client_id, then publish `then_publish` (the
        hub's PUBLISH), in that order, so a socket that hears of the message can already replay it. Should it
        have been stored and changed since the ack (LOG_SCRIPT), it is logged and published as it is now."""
        await self._round_trips.submit(_commit_command(message, publish=then_publish))

    async def release(self, *, conversation_id: int, sender_id: int, client_id: UUID | str) -> None:
        """The send failed before anything reached the broker: a retry is a new send."""
        await get_async_redis().eval(RELEASE_SCRIPT, 1, idem_key(conversation_id, sender_id, client_id))

    async def hold(self, *, conversation_id: int, sender_id: int, client_id: UUID | str) -> None:
        """The send failed and the broker may have its message: a retry, at once, sends that message again."""
        await get_async_redis().eval(HOLD_SCRIPT, 1, idem_key(conversation_id, sender_id, client_id))

    async def replay(
        self, conversation_id: int, after_seq: int, before_seq: int | None = None, limit: int = REPLAY_PAGE
    ) -> Replay:
        """The log's events in the range, after what storage holds from before the log's oldest entry.

        Every socket of a conversation on this worker sees the same gap at the same moment (they hear the
        same broadcasts in the same order), and each fills it once the gap has lasted GAP_TIMEOUT_SECONDS:
        one fetch answers them all, instead of a Redis round trip and a storage query each — which, on an
        overloaded worker whose gaps all time out, made it slower still (docs/benchmarks.md). Only a fetch in
        flight is shared: a later request fetches afresh."""
        key = (conversation_id, after_seq, before_seq, limit)
        fetch = self._replays.get(key)
        if fetch is None:
            fetch = self._replays[key] = asyncio.ensure_future(self._fetch_replay(*key))
            fetch.add_done_callback(functools.partial(self._replay_done, key))
        return await asyncio.shield(fetch)  # a socket closing stops waiting; the fetch goes on for the others

    def _replay_done(self, key: ReplayRange, fetch: asyncio.Future[Replay]) -> None:
        del self._replays[key]
        if not fetch.cancelled():
            fetch.exception()  # retrieved here: every socket that still waits has it raised too

    async def _fetch_replay(
        self, conversation_id: int, after_seq: int, before_seq: int | None, limit: int
    ) -> Replay:
        upper = "+inf" if before_seq is None else f"({before_seq}"
        log = log_key(conversation_id)
        async with get_async_redis().pipeline(transaction=False) as pipe:
            pipe.zrangebyscore(log, f"({after_seq}", upper, start=0, num=limit + 1, withscores=True)
            pipe.zrange(log, 0, 0, withscores=True)
            replies = await pipe.execute()
        entries = cast(list[tuple[bytes, float]], replies[0])
        oldest_entry = cast(list[tuple[bytes, float]], replies[1])
        logged: list[Frame] = [(int(score), _text(entry)) for entry, score in entries]
        stored_before = logged[0][0] if logged else before_seq
        if stored_before == after_seq + 1:
            return Replay(logged[:limit], settled_through=after_seq, more=len(logged) > limit)
        stored = await database_sync_to_async(selectors.events_between)(
            conversation_id=conversation_id, after_seq=after_seq, before_seq=stored_before, limit=limit + 1
        )
        if len(stored) > limit:
            return Replay(stored[:limit], settled_through=stored[limit - 1][0], more=True)
        # Storage is settled below the log's oldest entry: a seq it lacks there was given up long ago. A hole
        # in the middle of the log is not: its event may still be on its way.
        oldest_logged = int(oldest_entry[0][1]) if oldest_entry else None
        if stored_before is not None and oldest_logged is not None and stored_before <= oldest_logged:
            settled = stored_before - 1
        else:
            settled = stored[-1][0] if stored else after_seq
        room = limit - len(stored)
        return Replay(stored + logged[:room], settled_through=settled, more=len(logged) > room)

    async def last_seqs(self, conversation_ids: list[int]) -> dict[int, int]:
        """The highest seq already broadcast per conversation: the log's newest entry, or, where the log is
        empty (a new conversation, or Redis restarted empty), the highest stored seq."""
        async with get_async_redis().pipeline(transaction=False) as pipe:
            for conversation_id in conversation_ids:
                pipe.zrange(log_key(conversation_id), -1, -1, withscores=True)
            newest = await pipe.execute()
        last = {cid: int(entry[0][1]) for cid, entry in zip(conversation_ids, newest, strict=True) if entry}
        unlogged = [cid for cid in conversation_ids if cid not in last]
        if unlogged:
            last |= await database_sync_to_async(selectors.conversations_last_seq)(conversation_ids=unlogged)
        return last


def _text(entry: bytes | str) -> str:
    return entry.decode() if isinstance(entry, bytes) else entry


def _commit_command(message: MessagePayload, *, publish: Published | None) -> Command:
    """The log and the idempotency record keep the very text that is broadcast (the message.new frame),
    serialised once."""
    text = publish[1].text if publish is not None else to_json(events.message_new(message))
    idem = idem_key(message["conversation"], message["sender"]["id"], message["client_id"])
    return log_command(message["conversation"], message["seq"], text, idem=idem, publish=publish)


def log_command(
    conversation_id: int, seq: int, text: str, *, idem: str = "", publish: Published | None = None
) -> Command:
    """Log an event's frame in its conversation's recent log, then (optionally) keep it as the idempotency
    record `idem` and publish `publish`, whose broadcast carries `text` (LOG_SCRIPT)."""
    keys = [log_key(conversation_id), *([idem] if idem else [])]
    published = script_publish_arguments(*publish) if publish is not None else []
    arguments = [seq, text, -LOG_SIZE - 1, IDEMPOTENCY_TTL_SECONDS, *published]
    return ("EVAL", LOG_SCRIPT, len(keys), *keys, *arguments)


def initialise_lost_counter(conversation_id: int) -> None:
    """A conversation's counter is gone (Redis restarted empty): restart it above everything stored, and
    look client_ids up in storage for a while (RECOVERY_SECONDS)."""
    stored = selectors.conversation_last_seq(conversation_id=conversation_id)
    if cluster_enabled():
        keys = [*counter_keys(conversation_id), recovering_key(conversation_id)]
        get_redis().eval(INITIALISE_SCRIPT, 3, *keys, stored + SEQ_RESUME_GAP, RECOVERY_SECONDS)
        return
    pipe = get_redis().pipeline(transaction=False)
    pipe.set(seq_key(conversation_id), stored + SEQ_RESUME_GAP, nx=True)
    pipe.set(recovering_key(conversation_id), 1, ex=RECOVERY_SECONDS, nx=True)
    pipe.execute()


class DatabaseJournal:
    """Embedded mode: one process, messages stored before they are acknowledged (storage is the record of
    every client_id: there is nothing to recover)."""

    def __init__(self) -> None:
        self._in_flight: set[tuple[int, str]] = set()

    async def end_recovery(self, conversation_id: int) -> None:
        """Nothing to recover from (see the class)."""

    async def reserve(
        self, *, sender_id: int, client_id: UUID, conversation_id: int, checked_storage: bool = False
    ) -> Reservation:
        key = (sender_id, str(client_id))
        if key in self._in_flight:
            return Reservation()
        existing = await database_sync_to_async(selectors.message_payload_by_client_id)(
            sender_id=sender_id, client_id=client_id
        )
        if existing is not None:
            return Reservation(existing=existing)
        self._in_flight.add(key)
        seq = await database_sync_to_async(allocate_stored_seq)(conversation_id)
        return Reservation(attempt=Attempt(seq, str(uuid7())))

    async def commit(self, message: MessagePayload, *, then_publish: Published | None = None) -> None:
        self._in_flight.discard((message["sender"]["id"], message["client_id"]))
        if then_publish is not None:
            await get_hub().publish(*then_publish)

    async def release(self, *, conversation_id: int, sender_id: int, client_id: UUID | str) -> None:
        self._in_flight.discard((sender_id, str(client_id)))

    async def hold(self, *, conversation_id: int, sender_id: int, client_id: UUID | str) -> None:
        """Storage, looked up first by a retry, knows whether the message was stored."""
        await self.release(conversation_id=conversation_id, sender_id=sender_id, client_id=client_id)

    async def replay(
        self, conversation_id: int, after_seq: int, before_seq: int | None = None, limit: int = REPLAY_PAGE
    ) -> Replay:
        stored = await database_sync_to_async(selectors.events_between)(
            conversation_id=conversation_id, after_seq=after_seq, before_seq=before_seq, limit=limit + 1
        )
        # A seq handed out a moment ago may be stored a moment later: only what was returned is settled.
        settled = stored[min(len(stored), limit) - 1][0] if stored else after_seq
        return Replay(stored[:limit], settled_through=settled, more=len(stored) > limit)

    async def last_seqs(self, conversation_ids: list[int]) -> dict[int, int]:
        return await database_sync_to_async(selectors.conversations_last_seq)(
            conversation_ids=conversation_ids
        )


def allocate_stored_seq(conversation_id: int) -> int:
    """Embedded mode's counter: the conversation's row. It is not `last_seq`, which moves only once the seq's
    message or event is stored: a client that loaded the conversation in between would start its sync past
    a message still on its way, and skip it when it came."""
    with transaction.atomic():
        next_seq = Greatest(F("seq_counter"), F("last_seq")) + 1
        Conversation.objects.filter(pk=conversation_id).update(seq_counter=next_seq)
        return Conversation.objects.values_list("seq_counter", flat=True).get(pk=conversation_id)


_database_journal = DatabaseJournal()


_redis_journals = PerLoop(RedisJournal)


def get_journal() -> Journal:
    return _redis_journals.get() if redis_enabled() else _database_journal


def forget(entries: list[tuple[int, int]]) -> None:
    """Drop the events of deleted messages, as (conversation, seq), from the recent log, so that no replay
    shows them."""
    if redis_enabled() and entries:
        pipeline = get_redis().pipeline(transaction=False)
        for conversation_id, seq in entries:
            pipeline.zremrangebyscore(log_key(conversation_id), seq, seq)
        pipeline.execute()
