"""Broadcast to sockets through the hub (realtime.hub). Channels: `conv.<id>` reaches every socket of a
conversation's members, `user.<id>` every socket of one user, both prefixed with the Redis database's
namespace (core.redis.pubsub_namespace). On a Redis Cluster a conversation's channel carries its hash tag
(`conv.{conv:<id>}`): its broadcasts go to the shard that holds its journal. Each event is serialised to
text once, here, not per recipient."""

import time
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import transaction

from core.redis import conversation_tag, pubsub_namespace
from realtime.frames import to_json
from realtime.hub import Broadcast, BroadcastKind, get_hub


def conversation_channel(conversation_id: int) -> str:
    return f"{pubsub_namespace(settings.REDIS_URL)}conv.{conversation_tag(conversation_id)}"


def user_channel(user_id: int) -> str:
    return f"{pubsub_namespace(settings.REDIS_URL)}user.{user_id}"


def conversation_event(
    conversation_id: int, payload: dict[str, Any], *, seq: int | None = None, exclude_user: int | None = None
) -> tuple[str, Broadcast]:
    """The channel and broadcast that send an event to the members' sockets; `seq` marks events that must
    arrive in order."""
    broadcast = Broadcast(
        kind=BroadcastKind.EVENT,
        conversation=conversation_id,
        seq=seq,
        text=to_json(payload),
        exclude_user=exclude_user,
        sent_at=time.time(),  # for the fan-out latency metric (core.metrics)
    )
    return conversation_channel(conversation_id), broadcast


async def publish(channel: str, broadcast: Broadcast) -> None:
    await get_hub().publish(channel, broadcast)


async def to_conversation(
    conversation_id: int, payload: dict[str, Any], *, seq: int | None = None, exclude_user: int | None = None
) -> None:
    """Send an event to the members' sockets (see conversation_event)."""
    await get_hub().publish(*conversation_event(conversation_id, payload, seq=seq, exclude_user=exclude_user))


async def to_each_conversation(conversation_ids: list[int], payload: dict[str, Any]) -> None:
    """Send one event, outside any conversation's order, to the members of each conversation (serialised
    once; a socket in several of them gets it from each)."""
    text, sent_at = to_json(payload), time.time()
    for conversation_id in conversation_ids:
        event = Broadcast(kind=BroadcastKind.EVENT, conversation=conversation_id, text=text, sent_at=sent_at)
        await get_hub().publish(conversation_channel(conversation_id), event)


async def skip_seq(conversation_id: int, seq: int) -> None:
    """Tell receivers a seq was allocated but will never be sent, so they don't wait for it."""
    broadcast = Broadcast(kind=BroadcastKind.SKIP, conversation=conversation_id, seq=seq)
    await get_hub().publish(conversation_channel(conversation_id), broadcast)


async def membership_changed(user_id: int, conversation_id: int, text: str, *, added: bool) -> None:
    """Make every socket of `user_id` follow or stop following the conversation, then send them `text`."""
    broadcast = Broadcast(kind=BroadcastKind.MEMBERSHIP, conversation=conversation_id, added=added, text=text)
    await get_hub().publish(user_channel(user_id), broadcast)


async def to_user(user_id: int, payload: dict[str, Any]) -> None:
    """Send an event to every socket of one user, and nobody else's: their own settings changed on one of
    their devices. Of no conversation's order (`conversation` 0 in the header): not replayed by `sync`."""
    broadcast = Broadcast(kind=BroadcastKind.EVENT, text=to_json(payload), sent_at=time.time())
    await get_hub().publish(user_channel(user_id), broadcast)


async def close_user_sockets(user_id: int, code: int, *, session: str = "") -> None:
    """Close the user's sockets on every worker: all of them, or only those opened with the tokens of one
    login session (it logged out)."""
    await get_hub().publish(
        user_channel(user_id), Broadcast(kind=BroadcastKind.CLOSE, code=code, session=session)
    )


async def account_changed(user_id: int) -> None:
    """Have every socket of the user reload what it caches of the account (what it may post, and where)."""
    await get_hub().publish(user_channel(user_id), Broadcast(kind=BroadcastKind.ACCOUNT))


def after_commit(coroutine_function: Any, *args: Any, **kwargs: Any) -> None:
    """Run a broadcast from synchronous code once the current transaction has committed."""
    transaction.on_commit(lambda: async_to_sync(coroutine_function)(*args, **kwargs))
