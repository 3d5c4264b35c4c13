"""Broadcast over the channel layer. Groups: `conv.<id>` holds every socket of a conversation's members,
`user.<id>` every socket of one user. Each event is serialised to text once, here, not per recipient."""

import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from django.db import transaction

from messaging.events import to_json


def conversation_group(conversation_id: int) -> str:
    return f"conv.{conversation_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def _layer() -> BaseChannelLayer:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("CHANNEL_LAYERS is not configured")
    return layer


async def to_conversation(
    conversation_id: int, payload: dict[str, Any], *, seq: int | None = None, exclude_user: int | None = None
) -> None:
    """Send an event to the members' sockets; `seq` marks events that must arrive in order."""
    await _layer().group_send(
        conversation_group(conversation_id),
        {
            "type": "chat.event",
            "conversation": conversation_id,
            "seq": seq,
            "text": to_json(payload),
            "exclude_user": exclude_user,
            "sent_at": time.time(),  # for the fan-out latency metric (chatproject.metrics)
        },
    )


async def skip_seq(conversation_id: int, seq: int) -> None:
    """Tell receivers a seq was allocated but will never be sent, so they don't wait for it."""
    await _layer().group_send(
        conversation_group(conversation_id),
        {"type": "chat.skip", "conversation": conversation_id, "seq": seq},
    )


async def membership_changed(
    user_id: int, conversation_id: int, payload: dict[str, Any], *, added: bool
) -> None:
    """Make every socket of `user_id` join or leave the conversation, then tell them."""
    await _layer().group_send(
        user_group(user_id),
        {
            "type": "chat.membership",
            "conversation": conversation_id,
            "added": added,
            "text": to_json(payload),
        },
    )


async def close_user_sockets(user_id: int, code: int) -> None:
    await _layer().group_send(user_group(user_id), {"type": "chat.close", "code": code})


def after_commit(coroutine_function: Any, *args: Any, **kwargs: Any) -> None:
    """Run a broadcast from synchronous code once the current transaction has committed."""
    transaction.on_commit(lambda: async_to_sync(coroutine_function)(*args, **kwargs))
