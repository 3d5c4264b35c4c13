"""What a notification says: built once per message, the same for every recipient."""

from typing import TypedDict

from django.conf import settings

from messaging.models import Conversation, Message

BODY_PREVIEW_LENGTH = 120
ATTACHMENT_TEXT = "sent an attachment"


class PushPayload(TypedDict):
    title: str
    body: str
    url: str
    tag: str
    seq: int  # the message's place in its conversation: a click opens the conversation there


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
    return {
        "title": title,
        "body": text or ATTACHMENT_TEXT,
        "url": settings.PUSH_CONVERSATION_PATH.format(conversation_id=conversation.pk),
        "tag": _tag(message),
        "seq": message.seq,
    }


def _tag(message: Message) -> str:
    """One notification on screen per conversation, and per thread for replies in threads."""
    if message.thread_root_id is not None:
        return f"thread-{message.thread_root_id}"
    return f"conversation-{message.conversation_id}"
