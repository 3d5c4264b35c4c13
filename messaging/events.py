"""Every payload messaging puts on the wire, built here as plain dicts and serialised once per broadcast.

The message object (docs/protocol.md) has one owner: `MessagePayload` and its two builders, one for a message
being sent (not stored yet) and one from a stored row. The send path, the persistence task, history, `sync`,
the REST serializer and every event use them."""

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NotRequired, TypedDict
from uuid import UUID

from uuid6 import uuid7

from accounts.models import User
from accounts.selectors import avatar_url
from files.events import AttachmentPayload, attachment_payload
from messaging.models import Conversation, ConversationEvent, Membership, Message, ThreadFollow
from realtime.frames import to_json

MESSAGE_NEW = "message.new"


class SenderPayload(TypedDict):
    id: int
    username: str
    display_name: str


class ForwardPayload(TypedDict):
    """Where a forwarded message came from. `message` and `conversation` are null for a reader who may not
    see the original (forward_for_reader): then it is only "forwarded". `sender_id` is the original's author,
    by whom open pages rename it (an erased account, docs/protocol.md); absent from forwards stored before it
    was recorded whose original was gone when migration 0018 filled it in."""

    message: str | None
    conversation: int | None
    sender_name: str
    sender_id: NotRequired[int | None]


class PreviewImagePayload(TypedDict):
    url: str  # Parley's own URL for the copy it made; never the remote one
    width: int
    height: int


class LinkPreviewPayload(TypedDict):
    """A URL of the body, unfurled by the previews app (docs/protocol.md, "Link previews")."""

    url: str
    title: str
    description: str
    site_name: str
    image: PreviewImagePayload | None


class ThreadSummary(TypedDict):
    reply_count: int
    last_reply_at: str | None
    last_reply_seq: int
    participants: list[int]  # user ids, the latest replier first (at most THREAD_PARTICIPANTS_SHOWN)


class MessagePayload(TypedDict):
    id: str
    conversation: int
    seq: int
    sender: SenderPayload
    body: str
    client_id: str
    reply_to: str | None
    thread_root: str | None
    thread: ThreadSummary | None
    created_at: str
    edited_at: str | None
    deleted: bool
    attachments: list[AttachmentPayload]
    forwarded_from: ForwardPayload | None
    previews: list[LinkPreviewPayload]
    mentions: list[int]  # members named by @username (user ids), as resolved at send (or edit) time
    mentions_here: bool  # says @here (groups and channels)
    mentions_all: bool  # says @all (groups and channels)


class MentionsPayload(TypedDict):
    """What the send path resolved of a body's mentions (messaging.delivery.mentions)."""

    mentions: list[int]
    mentions_here: bool
    mentions_all: bool


NO_MENTIONS: MentionsPayload = {"mentions": [], "mentions_here": False, "mentions_all": False}


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def uuid7_time(uuid7_text: str) -> datetime:
    """The moment a UUIDv7 was made (to the millisecond): its first 48 bits. What uuid6.UUID(text).time
    reads, without building the UUID (0.6 against 3.9 µs, once per send)."""
    return datetime.fromtimestamp(int(uuid7_text[:8] + uuid7_text[9:13], 16) / 1000, tz=UTC)


def sender_payload(user: User) -> SenderPayload:
    return {"id": user.pk, "username": user.username, "display_name": user.display_name}


def user_updated(user: User) -> dict[str, Any]:
    """A member's profile changed: clients show the new name and picture wherever they show theirs. The
    picture travels here and in user lists only, never on each message (`sender` stays three fields)."""
    return {"type": "user.updated", "user": {**sender_payload(user), "avatar_url": avatar_url(user)}}


def new_message_payload(
    *,
    sender: SenderPayload,
    conversation_id: int,
    seq: int,
    body: str,
    client_id: UUID | str,
    reply_to: UUID | str | None = None,
    thread_root: UUID | str | None = None,
    attachments: list[AttachmentPayload] | None = None,
    created_at: datetime | None = None,
    forwarded_from: ForwardPayload | None = None,
    mentions: MentionsPayload = NO_MENTIONS,
    message_id: str | None = None,
) -> MessagePayload:
    """A message being sent, before it is stored: its id (a UUIDv7) made now unless given, its time the id's
    unless given."""
    message_id = message_id or str(uuid7())
    return {
        "id": message_id,
        "conversation": conversation_id,
        "seq": seq,
        "sender": sender,
        "body": body,
        "client_id": str(client_id),
        "reply_to": str(reply_to) if reply_to else None,
        "thread_root": str(thread_root) if thread_root else None,
        "thread": None,
        "created_at": iso(created_at or uuid7_time(message_id)) or "",
        "edited_at": None,
        "deleted": False,
        "attachments": attachments or [],
        "forwarded_from": forwarded_from,
        "previews": [],  # added once the message is stored and its URLs unfurled
        "mentions": list(mentions["mentions"]),
        "mentions_here": mentions["mentions_here"],
        "mentions_all": mentions["mentions_all"],
    }


def message_payload(message: Message) -> MessagePayload:
    """A stored message as it is now (edited, deleted); its sender and attachments fetched by the caller."""
    deleted = message.deleted_at is not None
    return {
        "id": str(message.id),
        "conversation": message.conversation_id,
        "seq": message.seq,
        "sender": sender_payload(message.sender),
        "body": "" if deleted else message.body,
        "client_id": str(message.client_id),
        "reply_to": str(message.reply_to_id) if message.reply_to_id else None,
        "thread_root": str(message.thread_root_id) if message.thread_root_id else None,
        "thread": thread_summary(message),
        "created_at": iso(message.created_at) or "",
        "edited_at": iso(message.edited_at),
        "deleted": deleted,
        "attachments": [] if deleted else [attachment_payload(f) for f in message.attachment_files()],
        "forwarded_from": message.forwarded_from,
        "previews": [] if deleted else message.previews,
        "mentions": [] if deleted else list(message.mentions),
        "mentions_here": not deleted and message.mentions_here,
        "mentions_all": not deleted and message.mentions_all,
    }


def forward_for_reader(forward: ForwardPayload, *, may_see: Callable[[int], bool]) -> ForwardPayload:
    """A forward's origin as one reader gets it: the link back (the original's id and conversation) only if
    they may see the original's conversation; its author's name either way."""
    if forward["conversation"] is None or may_see(forward["conversation"]):
        return forward
    return {**forward, "message": None, "conversation": None}


# JSON escapes every quote inside a string, so this appears in a frame's text only as a forward's own key.
FORWARD_MARK = '"forwarded_from":{'


def frame_for_reader(text: str, *, may_see: Callable[[int], bool]) -> str:
    """A frame as one socket's reader gets it: a forward it carries (message.new, message.updated, pin,
    message.ack) links back only where `may_see`. Every other frame is returned as it is, after one
    substring search."""
    if FORWARD_MARK not in text:
        return text
    frame = json.loads(text)
    message = frame.get("message")
    forward = message.get("forwarded_from") if isinstance(message, dict) else None
    if not forward:
        return text
    shown = forward_for_reader(forward, may_see=may_see)
    if shown is forward:
        return text
    return to_json({**frame, "message": {**message, "forwarded_from": shown}})


def forward_payload(message: Message) -> ForwardPayload:
    """The `forwarded_from` of a forward of `message`: it links to `message`, and names the author of what
    is forwarded (the original's author, when `message` is itself a forward)."""
    origin = message.forwarded_from
    return {
        "message": str(message.id),
        "conversation": message.conversation_id,
        "sender_name": origin["sender_name"] if origin else message.sender.public_name,
        "sender_id": origin.get("sender_id") if origin else message.sender_id,
    }


class ForwardCopy(TypedDict):
    """What a forward of a message is sent with (message_send's arguments of that name)."""

    body: str
    forwarded_from: ForwardPayload
    attachments: list[AttachmentPayload]


def forward_copy(message: Message) -> ForwardCopy:
    """A forward of `message` (read by messaging.selectors.message_to_forward, which lets only a member of its
    conversation forward it, and not once deleted): its words as they are now, where they came from, and its
    files: the same stored files, which stay while any message not deleted carries them (docs/files.md)."""
    return {
        "body": message.body,
        "forwarded_from": forward_payload(message),
        "attachments": [attachment_payload(f) for f in message.attachment_files()],
    }


def thread_summary(root: Message) -> ThreadSummary | None:
    """A root's thread as the main timeline shows it; None for a message nobody replied to in a thread."""
    if not root.reply_count:
        return None
    return {
        "reply_count": root.reply_count,
        "last_reply_at": iso(root.last_reply_at),
        "last_reply_seq": root.last_reply_seq,
        "participants": list(root.thread_participants),
    }


def message_new(message: MessagePayload) -> dict[str, Any]:
    return {"type": MESSAGE_NEW, "seq": message["seq"], "message": message}


def message_ack(client_id: str, message: MessagePayload) -> dict[str, Any]:
    return {"type": "message.ack", "client_id": client_id, "message": message}


# --- A conversation's ordered events other than message.new (docs/protocol.md, "Events and cursors"), each
# rendered from its ConversationEvent and what it names as it is now.


def event_frame(event: ConversationEvent) -> dict[str, Any]:
    render = _RENDERERS[ConversationEvent.Kind(event.kind)]
    return {"type": event.kind, "seq": event.seq, **render(event)}


def _message_updated(event: ConversationEvent) -> dict[str, Any]:
    assert event.message is not None  # noqa: S101 - set for every message event
    return {"conversation": event.conversation_id, "message": message_payload(event.message)}


def _message_deleted(event: ConversationEvent) -> dict[str, Any]:
    return {
        "conversation": event.conversation_id,
        "id": str(event.message_id),
        "by_moderator": bool(event.data.get("by_moderator")),
    }


def _reaction(event: ConversationEvent) -> dict[str, Any]:
    return {
        "conversation": event.conversation_id,
        "message": str(event.message_id),
        "user": event.user_id,
        "emoji": event.data["emoji"],
        "state": event.data["state"],
    }


def _read(event: ConversationEvent) -> dict[str, Any]:
    return {"conversation": event.conversation_id, "user": event.user_id, "up_to": event.data["up_to"]}


def _membership(event: ConversationEvent) -> dict[str, Any]:
    return {
        "conversation": conversation_summary(event.conversation),
        "user": event.user_id,
        "state": event.data["state"],
    }


def _member_updated(event: ConversationEvent) -> dict[str, Any]:
    """The role the change gave, not the member's role now: a replay reaches the end state by its last one."""
    return {"conversation": event.conversation_id, "user": event.user_id, "role": event.data["role"]}


def _conversation_updated(event: ConversationEvent) -> dict[str, Any]:
    return {"conversation": conversation_summary(event.conversation)}


def _pin(event: ConversationEvent) -> dict[str, Any]:
    """A pin names the message as it is now (the pinned list shows it); an unpin only its id."""
    pinned = event.message if event.data["state"] == "pinned" else None
    return {
        "conversation": event.conversation_id,
        "message": message_payload(pinned) if pinned is not None else None,
        "message_id": str(event.message_id),
        "user": event.user_id,
        "state": event.data["state"],
    }


def _thread_updated(event: ConversationEvent) -> dict[str, Any]:
    assert event.message is not None  # noqa: S101 - the thread's root
    return {
        "conversation": event.conversation_id,
        "root": str(event.message_id),
        "thread": thread_summary(event.message),
    }


def _user_erased(event: ConversationEvent) -> dict[str, Any]:
    """The account as it is now ("Deleted user"), and whether its messages were emptied or kept."""
    assert event.user is not None  # noqa: S101 - an erased account's row stays
    return {
        "conversation": event.conversation_id,
        "user": sender_payload(event.user),
        "messages": event.data["messages"],
    }


_RENDERERS = {
    ConversationEvent.Kind.MESSAGE_UPDATED: _message_updated,
    ConversationEvent.Kind.MESSAGE_DELETED: _message_deleted,
    ConversationEvent.Kind.REACTION: _reaction,
    ConversationEvent.Kind.READ: _read,
    ConversationEvent.Kind.MEMBERSHIP: _membership,
    ConversationEvent.Kind.MEMBER_UPDATED: _member_updated,
    ConversationEvent.Kind.CONVERSATION_UPDATED: _conversation_updated,
    ConversationEvent.Kind.PIN: _pin,
    ConversationEvent.Kind.THREAD_UPDATED: _thread_updated,
    ConversationEvent.Kind.USER_ERASED: _user_erased,
}


def typing(*, conversation_id: int, user_id: int, state: str) -> dict[str, Any]:
    return {"type": "typing", "conversation": conversation_id, "user": user_id, "state": state}


def presence(*, user_id: int, status: str) -> dict[str, Any]:
    """`status`: online (some socket of theirs is looking), idle (connected, none looking) or offline."""
    return {"type": "presence", "user": user_id, "status": status}


def membership_report(*, conversation: Conversation, user_id: int, added: bool) -> dict[str, Any]:
    """A conversation joined or left while a client was away, as `sync` reports it: not an event of the
    conversation's order, so no seq."""
    state = "added" if added else "removed"
    return {
        "type": "membership",
        "seq": None,
        "conversation": conversation_summary(conversation),
        "user": user_id,
        "state": state,
    }


def membership_left_report(*, conversation_id: int, user_id: int) -> dict[str, Any]:
    """A conversation left (or never joined) as `sync` reports it: named by its id only."""
    return {
        "type": "membership",
        "seq": None,
        "conversation": {"id": conversation_id},
        "user": user_id,
        "state": "removed",
    }


def account_changed(*, may_post: bool) -> dict[str, Any]:
    """To a user's own sockets: their account changed (a verified email, a block), and what it may now do."""
    return {"type": "account", "may_post": may_post}


def notification_level_updated(membership: Membership) -> dict[str, Any]:
    """To the member's own sockets: their level in a conversation changed (on one of their devices)."""
    return {
        "type": "notification_level.updated",
        "conversation": membership.conversation_id,
        "notification_level": membership.notification_level,
        "muted": membership.muted,
    }


def thread_read(follow: ThreadFollow, *, conversation_id: int) -> dict[str, Any]:
    """To the reader's own sockets: their read marker in a thread moved to `up_to`."""
    return {
        "type": "thread.read",
        "conversation": conversation_id,
        "root": str(follow.root_id),
        "up_to": follow.last_read_seq,
    }


def thread_follow_updated(follow: ThreadFollow, *, conversation_id: int) -> dict[str, Any]:
    """To the user's own sockets: they followed or unfollowed a thread (on one of their devices)."""
    return {
        "type": "thread_follow.updated",
        "conversation": conversation_id,
        "root": str(follow.root_id),
        "following": follow.following,
    }


def error(code: str, detail: str, ref: str | None = None) -> dict[str, Any]:
    return {"type": "error", "code": code, "detail": detail, "ref": ref}


def conversation_summary(conversation: Conversation) -> dict[str, Any]:
    """Enough of a conversation for a client to place it in its list until it reloads the full one."""
    return {
        "id": conversation.pk,
        "kind": conversation.kind,
        "title": conversation.title,
        "is_public": conversation.is_public,
        "pin_policy": conversation.pin_policy,
        "all_mention_policy": conversation.all_mention_policy,
    }
