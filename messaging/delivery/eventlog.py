"""Giving a change members see its place in its conversation's order, from synchronous code (the services).

A change (an edit, a reaction, a read marker, a member joining…) takes the next seq of its conversation, the
counter messages use too, inside the transaction that makes the change; its ConversationEvent row is stored
with it. Once committed, the event's frame is logged and broadcast in one Redis round trip — log first, so a
socket that hears of it can replay it. A process that dies between the commit and the broadcast leaves a
gap that sockets fill from storage; a seq taken by a transaction that then rolls back is a gap given up
after the orderer's wait (realtime.ordering)."""

import time

from asgiref.sync import async_to_sync

from core.redis import cluster_enabled, get_redis, redis_enabled
from messaging.delivery.journal import (
    INITIALISE_SCRIPT,
    allocate_stored_seq,
    counter_checked,
    counter_keys,
    idem_key,
    initialise_lost_counter,
    log_command,
    log_key,
    seq_key,
)
from messaging.models import Conversation
from realtime import fanout
from realtime.hub import Broadcast, BroadcastKind

# Returns the next seq, or nothing when the conversation's counter must first be initialised.
ALLOCATE_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('INCR', KEYS[1])
"""

# Rewrites the log entries at the given seqs that are still there (an old entry put back would make the log
# look like it covers a range it does not), and the idempotency record (KEYS[2]) if it is still kept: a
# record still pending (the send's web worker has not logged the message yet) takes the frame too, and that
# worker's LOG_SCRIPT then logs and publishes it instead of its own (messaging.delivery.journal).
REWRITE_SCRIPT = """
for i = 1, #ARGV - 1, 2 do
  if redis.call('ZCOUNT', KEYS[1], ARGV[i], ARGV[i]) > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[i], ARGV[i])
    redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('SET', KEYS[2], ARGV[#ARGV], 'KEEPTTL') end
"""


def allocate_seq(conversation_id: int) -> int:
    """The conversation's next seq, shared with its messages."""
    if not redis_enabled():
        return allocate_stored_seq(conversation_id)
    script, keys = counter_checked(ALLOCATE_SCRIPT, seq=1), counter_keys(conversation_id)
    seq = get_redis().eval(script, len(keys), *keys)
    if seq is None:
        initialise_lost_counter(conversation_id)
        seq = get_redis().eval(script, len(keys), *keys)
    return int(seq)


def publish_event(conversation_id: int, seq: int, text: str, *, exclude_user: int | None = None) -> None:
    """Log an event's frame, then broadcast it to the conversation's sockets (one round trip)."""
    channel = fanout.conversation_channel(conversation_id)
    broadcast = Broadcast(
        kind=BroadcastKind.EVENT,
        conversation=conversation_id,
        seq=seq,
        text=text,
        exclude_user=exclude_user,
        sent_at=time.time(),
    )
    if not redis_enabled():
        async_to_sync(fanout.publish)(channel, broadcast)
        return
    get_redis().execute_command(*log_command(conversation_id, seq, text, publish=(channel, broadcast)))


def rewrite_logged(
    conversation_id: int, frames: list[tuple[int, str]], *, sender_id: int, client_id: str, message_frame: str
) -> None:
    """Replace the logged frames of a message's events (its message.new and earlier edits) with what they
    show now, and its idempotency record, so that no replay or retry shows what was edited or removed."""
    if redis_enabled():
        arguments = [value for seq, text in frames for value in (seq, text)] + [message_frame]
        keys = [log_key(conversation_id), idem_key(conversation_id, sender_id, client_id)]
        get_redis().eval(REWRITE_SCRIPT, 2, *keys, *arguments)


def is_logged(conversation_id: int, seq: int) -> bool:
    """Whether the recent log holds an event at `seq` (one acknowledged, maybe not stored yet)."""
    return redis_enabled() and bool(get_redis().zcount(log_key(conversation_id), seq, seq))


def initialise_counter(conversation_id: int) -> None:
    """A new conversation's counter starts at 0 (called after the conversation is committed)."""
    if cluster_enabled():
        get_redis().eval(INITIALISE_SCRIPT, 2, *counter_keys(conversation_id), 0)
    elif redis_enabled():
        get_redis().set(seq_key(conversation_id), 0, nx=True)


def newest_seq(conversation: Conversation) -> int:
    """The highest seq given out in a conversation so far (its event may still be in flight)."""
    counter = get_redis().get(seq_key(conversation.pk)) if redis_enabled() else None
    return max(int(counter or 0), conversation.last_seq, conversation.seq_counter)
