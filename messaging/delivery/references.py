"""Checking what a send refers to — the message it replies to, the thread it goes into (docs/protocol.md,
"Threads") — without a query per message: which conversation a message belongs to, and whether it is a
reply in a thread, never change, so each worker remembers the messages it has looked up, and only the first
send that names a message this worker has not seen looks it up: in storage, then, for one acknowledged a
moment ago and not stored yet, in the conversation's recent log.

A message replied to, or a thread's root, may be deleted (by its author, or removed by a moderator), and a
deleted message takes no more replies, quoting it or in its thread. Deleted is for good, so a message seen
deleted is remembered as such; one seen not deleted is looked up again by the first send naming it once
RECHECK_SECONDS have passed. What this trades, as the mention directories do (messaging.delivery.mentions):
for up to RECHECK_SECONDS after a message is deleted, a worker that looked it up just before may still take
replies to it — no more than a reply sent a moment before the deletion, which is kept — for at most one query
per message and worker every RECHECK_SECONDS, however many replies it takes."""

import json
from typing import cast
from uuid import UUID

from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError

from core.errors import NotFound
from core.redis import get_async_redis, redis_enabled
from core.remembered import Remembered
from messaging import selectors
from messaging.delivery.journal import log_key
from messaging.events import MESSAGE_NEW
from messaging.selectors import ReferenceState

MESSAGES_REMEMBERED = 10_000
# How far back the recent log is searched for a message that storage does not hold yet: it was just sent.
LOG_LOOKBACK = 200
# How long a message (replied to, or a thread's root) seen not deleted is taken as still not deleted.
RECHECK_SECONDS = 10.0


# The messages this process looked up, by id
_known: Remembered[str, ReferenceState] = Remembered(MESSAGES_REMEMBERED)


async def reply_to_check(*, conversation_id: int, parent_id: UUID) -> None:
    """NotFound unless `parent_id` is a message of the conversation, not deleted: a reply never names, nor
    shows to the members, a message of a conversation they may not see, nor one that is gone."""
    if _live_in(conversation_id, await _message_state(conversation_id, parent_id)) is None:
        raise NotFound("No such message to reply to.")


async def thread_root_check(*, conversation_id: int, root_id: UUID) -> None:
    """NotFound unless `root_id` is a message of the conversation, not deleted; ValidationError if it is
    itself a reply (threads do not nest)."""
    state = _live_in(conversation_id, await _message_state(conversation_id, root_id))
    if state is None:
        raise NotFound(selectors.NO_SUCH_MESSAGE)
    if state.is_reply:
        raise ValidationError({"thread_root": "A reply in a thread cannot start a thread of its own."})


def _live_in(conversation_id: int, state: ReferenceState | None) -> ReferenceState | None:
    """The message's state if it is one of the conversation, not deleted; else None."""
    if state is None or state.conversation != conversation_id or state.deleted:
        return None
    return state


async def _message_state(conversation_id: int, message_id: UUID) -> ReferenceState | None:
    """What is known of the message; looked up again if RECHECK_SECONDS have passed since it was seen not
    deleted."""
    key = str(message_id)
    known = _known.get(key)
    if known is not None and not _stale(*known):
        return known[0]
    state = await database_sync_to_async(selectors.message_thread_state)(message_id=message_id)
    if state is None and redis_enabled():
        state = await _logged_state(conversation_id, key)
    if state is not None:
        _known.remember(key, state)
    return state


def _stale(state: ReferenceState, seconds_ago: float) -> bool:
    return not state.deleted and seconds_ago > RECHECK_SECONDS


async def _logged_state(conversation_id: int, message_id: str) -> ReferenceState | None:
    """The state of a message found among the conversation's newest logged events (just sent: not deleted,
    which takes a stored message)."""
    entries = await get_async_redis().zrevrange(log_key(conversation_id), 0, LOG_LOOKBACK - 1)
    for entry in cast(list[bytes], entries):
        text = entry.decode()
        if message_id not in text:
            continue
        frame = json.loads(text)
        if frame.get("type") == MESSAGE_NEW and frame["message"]["id"] == message_id:
            return ReferenceState(conversation_id, frame["message"].get("thread_root") is not None, False)
    return None
