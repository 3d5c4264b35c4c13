"""Every payload pushed to sockets is built here, as plain dicts, and serialised once per broadcast."""

import json
from datetime import datetime
from typing import Any

from accounts.models import User
from messaging.models import Conversation, Message

MESSAGE_NEW = "message.new"


def to_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def sender_payload(user: User) -> dict[str, Any]:
    return {"id": user.pk, "username": user.username, "display_name": user.display_name}


def message_payload(message: Message, attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The message object of docs/protocol.md, from a stored row."""
    deleted = message.deleted_at is not None
    return {
        "id": str(message.id),
        "conversation": message.conversation_id,
        "seq": message.seq,
        "sender": sender_payload(message.sender),
        "body": "" if deleted else message.body,
        "client_id": str(message.client_id),
        "reply_to": str(message.reply_to_id) if message.reply_to_id else None,
        "created_at": iso(message.created_at),
        "edited_at": iso(message.edited_at),
        "deleted": deleted,
        "attachments": [] if deleted else (attachments or []),
    }


def message_new(message: dict[str, Any]) -> dict[str, Any]:
    return {"type": MESSAGE_NEW, "message": message}


def message_ack(client_id: str, message: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message.ack", "client_id": client_id, "message": message}


def message_updated(message: Message) -> dict[str, Any]:
    return {"type": "message.updated", "message": message_payload(message)}


def message_deleted(message: Message) -> dict[str, Any]:
    return {
        "type": "message.deleted",
        "conversation": message.conversation_id,
        "id": str(message.id),
        "seq": message.seq,
    }


def reaction(*, message: Message, user_id: int, emoji: str, state: str) -> dict[str, Any]:
    return {
        "type": "reaction",
        "message": str(message.id),
        "conversation": message.conversation_id,
        "user": user_id,
        "emoji": emoji,
        "state": state,
    }


def typing(*, conversation_id: int, user_id: int, state: str) -> dict[str, Any]:
    return {"type": "typing", "conversation": conversation_id, "user": user_id, "state": state}


def read(*, conversation_id: int, user_id: int, seq: int) -> dict[str, Any]:
    return {"type": "read", "conversation": conversation_id, "user": user_id, "seq": seq}


def presence(*, user_id: int, online: bool) -> dict[str, Any]:
    return {"type": "presence", "user": user_id, "status": "online" if online else "offline"}


def membership(*, conversation: dict[str, Any], user_id: int, state: str) -> dict[str, Any]:
    return {"type": "membership", "conversation": conversation, "user": user_id, "state": state}


def error(code: str, detail: str, ref: str | None = None) -> dict[str, Any]:
    return {"type": "error", "code": code, "detail": detail, "ref": ref}


def conversation_summary(conversation: Conversation) -> dict[str, Any]:
    """Enough of a conversation for a client to place it in its list until it reloads the full one."""
    return {
        "id": conversation.pk,
        "kind": conversation.kind,
        "title": conversation.title,
        "is_public": conversation.is_public,
    }
