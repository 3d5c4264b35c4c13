"""Checking a send's thread root (docs/protocol.md, "Threads") without a query per message: a root stays the
root of its conversation for good, so each worker remembers the roots it has checked, and only the first
reply into a thread that this worker sees looks the root up — in storage, then, for a root acknowledged a
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

ROOTS_REMEMBERED = 10_000
# How far back the recent log is searched for a root that storage does not hold yet: it was just sent.
LOG_LOOKBACK = 200

# root id -> its conversation, for the roots this process found valid (oldest first, bounded)
_known_roots: OrderedDict[str, int] = OrderedDict()


async def thread_root_check(*, conversation_id: int, root_id: UUID) -> None:
    """NotFound unless `root_id` is a message of the conversation; ValidationError if it is itself a reply
    (threads do not nest)."""
    key = str(root_id)
    if _known_roots.get(key) == conversation_id:
        _known_roots.move_to_end(key)
        return
    state = await database_sync_to_async(selectors.thread_root_state)(message_id=root_id)
    if state is None and redis_enabled():
        state = await _logged_root_state(conversation_id, key)
    if state is None or state[0] != conversation_id:
        raise NotFound("No such message.")
    if state[1]:
        raise ValidationError({"thread_root": "A reply in a thread cannot start a thread of its own."})
    _known_roots[key] = conversation_id
    if len(_known_roots) > ROOTS_REMEMBERED:
        _known_roots.popitem(last=False)


async def _logged_root_state(conversation_id: int, root_id: str) -> tuple[int, bool] | None:
    """(conversation, is a reply) of a message found among the conversation's newest logged events."""
    entries = await get_async_redis().zrevrange(log_key(conversation_id), 0, LOG_LOOKBACK - 1)
    for entry in cast(list[bytes], entries):
        text = entry.decode()
        if root_id not in text:
            continue
        frame = json.loads(text)
        if frame.get("type") == MESSAGE_NEW and frame["message"]["id"] == root_id:
            return conversation_id, frame["message"].get("thread_root") is not None
    return None
