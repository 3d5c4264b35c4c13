"""What a notification says: built once per message, the same for every recipient; and the event that tells a
person's own sockets their preferences changed."""

from typing import Any, NotRequired, TypedDict
from urllib.parse import urlencode

from django.conf import settings

from messaging.models import Conversation, Message
from notifications.models import NotificationPreferences

BODY_PREVIEW_LENGTH = 120
ATTACHMENT_TEXT = "sent an attachment"


class PushPayload(TypedDict):
    title: str
    body: str
    url: str  # where a click leads: the conversation, or for a reply in a thread, the thread open beside it
    tag: str
    # The message's place in its conversation: a click opens the conversation there (`?m=<seq>`). Not for a
    # reply in a thread, whose address opens its thread instead.
    seq: NotRequired[int]


def _conversation_name(conversation: Conversation) -> str:
    if conversation.kind == Conversation.Kind.CHANNEL:
        return f"#{conversation.title}"
    return conversation.title or "a group"


def message_payload(message: Message) -> PushPayload:
    conversation, sender = message.conversation, message.sender
    title = sender.public_name
    if message.thread_root_id is not None:
        title = f"{title} replied in a thread"
    if conversation.kind != Conversation.Kind.DIRECT:
        title = f"{title} in {_conversation_name(conversation)}"
    text = message.body.strip()
    if len(text) > BODY_PREVIEW_LENGTH:
        text = text[:BODY_PREVIEW_LENGTH] + "…"
    payload: PushPayload = {
        "title": title,
        "body": text or ATTACHMENT_TEXT,
        "url": _url(message),
        "tag": _tag(message),
    }
    if message.thread_root_id is None:
        payload["seq"] = message.seq
    return payload


def _url(message: Message) -> str:
    """The conversation; for a reply in a thread, with that thread open beside it (`?thread=<root id>`, as the
    web app's own addresses of such a reply: docs/web.md)."""
    url = settings.PUSH_CONVERSATION_PATH.format(conversation_id=message.conversation_id)
    if message.thread_root_id is None:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'thread': message.thread_root_id})}"


def _tag(message: Message) -> str:
    """One notification on screen per conversation, and per thread for replies in threads."""
    if message.thread_root_id is not None:
        return f"thread-{message.thread_root_id}"
    return f"conversation-{message.conversation_id}"


def notification_preferences_updated(preferences: NotificationPreferences) -> dict[str, Any]:
    """To the person's own sockets: their level per kind of conversation changed (on one of their devices)."""
    levels = {kind: getattr(preferences, kind) for kind in Conversation.Kind.values}
    return {"type": "notification_preferences.updated", "preferences": levels}
