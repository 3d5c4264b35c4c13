"""Checking what a send refers to — the message it replies to, the thread it goes into (docs/protocol.md,
"Threads") — without a query per message: which conversation a message belongs to, and whether it is a
reply in a thread, never change, so each worker remembers the messages it has looked up, and only the first
send that names a message this worker has not seen looks it up: in storage, then, for one acknowledged a
moment ago and not stored yet, in the conversation's recent log."""

import json
from collections import OrderedDict
from typing import cast
from uuid import UUID

from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError

from core.errors import NotFound
from core.redis import get_async_redis, redis_enabled
from messaging import selectors
from messaging.delivery.journal import log_key
from messaging.events import MESSAGE_NEW

MESSAGES_REMEMBERED = 10_000
# How far back the recent log is searched for a message that storage does not hold yet: it was just sent.
LOG_LOOKBACK = 200

# (conversation, is a reply in a thread), by message id, of the messages this process looked up (oldest first)
_known: OrderedDict[str, tuple[int, bool]] = OrderedDict()


async def reply_to_check(*, conversation_id: int, parent_id: UUID) -> None:
    """NotFound unless `parent_id` is a message of the conversation: a reply never names, nor shows to the
    members, a message of a conversation they may not see."""
    state = await _message_state(conversation_id, parent_id)
    if state is None or state[0] != conversation_id:
        raise NotFound("No such message to reply to.")


async def thread_root_check(*, conversation_id: int, root_id: UUID) -> None:
    """NotFound unless `root_id` is a message of the conversation; ValidationError if it is itself a reply
    (threads do not nest)."""
    state = await _message_state(conversation_id, root_id)
    if state is None or state[0] != conversation_id:
        raise NotFound("No such message.")
    if state[1]:
        raise ValidationError({"thread_root": "A reply in a thread cannot start a thread of its own."})


async def _message_state(conversation_id: int, message_id: UUID) -> tuple[int, bool] | None:
    key = str(message_id)
    if (known := _known.get(key)) is not None:
        _known.move_to_end(key)
        return known
    state = await database_sync_to_async(selectors.message_thread_state)(message_id=message_id)
    if state is None and redis_enabled():
        state = await _logged_state(conversation_id, key)
    if state is not None:
        _known[key] = state
        if len(_known) > MESSAGES_REMEMBERED:
            _known.popitem(last=False)
    return state


async def _logged_state(conversation_id: int, message_id: str) -> tuple[int, bool] | None:
    """(conversation, is a reply) of a message found among the conversation's newest logged events."""
    entries = await get_async_redis().zrevrange(log_key(conversation_id), 0, LOG_LOOKBACK - 1)
    for entry in cast(list[bytes], entries):
        text = entry.decode()
        if message_id not in text:
            continue
        frame = json.loads(text)
        if frame.get("type") == MESSAGE_NEW and frame["message"]["id"] == message_id:
            return conversation_id, frame["message"].get("thread_root") is not None
    return None
