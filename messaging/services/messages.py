"""Writes to messages once they exist: edits, deletions and reactions (the send itself is
messaging.delivery.send, and `message_post` its synchronous front for REST and webhooks)."""

from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import User
from messaging import events, selectors
from messaging.delivery.journal import remember_changed
from messaging.delivery.send import message_send
from messaging.events import MessagePayload
from messaging.models import Message, MessageRevision, Reaction
from realtime import fanout

# What a send answers with: the stored message as it is now, or the message just sent, not stored yet.
SentMessage = Message | MessagePayload


def message_post(
    *,
    sender: User,
    conversation_id: int,
    body: str,
    client_id: UUID,
    reply_to: UUID | None = None,
    attachment_ids: list[UUID] | None = None,
) -> SentMessage:
    """Send from synchronous code (REST, webhooks); the sender's membership is already checked. Raises
    Refused. A retry of a stored message answers with it as it is now, even once Redis forgot the client_id
    (a restart, expiry) and after an edit or a deletion, which the journal's copy would not show."""
    stored = selectors.message_stored_by_client_id(sender=sender, client_id=client_id)
    if stored is not None:
        return stored
    message, _ = async_to_sync(message_send)(
        sender=events.sender_payload(sender),
        conversation_id=conversation_id,
        body=body,
        client_id=client_id,
        reply_to=reply_to,
        attachment_ids=attachment_ids,
    )
    return message


@transaction.atomic
def message_edit(*, user: User, message_id: UUID, body: str) -> Message:
    message = selectors.message_get_for_user(user=user, message_id=message_id)
    if message.sender_id != user.pk:
        raise PermissionDenied("Only the sender can edit a message.")
    if message.is_deleted:
        raise ValidationError({"message": "The message was deleted."})
    new_body = _clean_body(body)
    MessageRevision.objects.create(message=message, body=message.body, editor=user)  # for moderators
    message.body = new_body
    message.edited_at = datetime.now(tz=UTC)
    message.save(update_fields=["body", "edited_at"])
    _after_change(message, events.message_updated(message))
    return message


@transaction.atomic
def message_delete(*, user: User, message_id: UUID) -> Message:
    message = selectors.message_get_for_user(user=user, message_id=message_id)
    if message.sender_id != user.pk:
        membership = selectors.membership_get(user=user, conversation_id=message.conversation_id)
        if not membership.can_manage:
            raise PermissionDenied("Only the sender or the conversation's owners and admins can delete.")
    return message_soft_delete(message=message)


def message_soft_delete(*, message: Message) -> Message:
    """Remove a message's content for everyone, live; its files stay if attached elsewhere."""
    if message.is_deleted:
        return message
    message.deleted_at = datetime.now(tz=UTC)
    message.body = ""
    message.save(update_fields=["deleted_at", "body"])
    message.reactions.all().delete()
    _after_change(message, events.message_deleted(message))
    return message


def _after_change(message: Message, event: dict[str, Any]) -> None:
    """Once committed: update the journal's copies of the message, then tell the members."""
    transaction.on_commit(partial(remember_changed, events.message_payload(message)))
    fanout.after_commit(fanout.to_conversation, message.conversation_id, event)


def _clean_body(body: str) -> str:
    if not body.strip():
        raise ValidationError({"body": "The message cannot be empty."})
    if len(body) > Message.BODY_MAX_LENGTH:
        raise ValidationError({"body": f"At most {Message.BODY_MAX_LENGTH} characters."})
    return body


@transaction.atomic
def reaction_add(*, user: User, message_id: UUID, emoji: str) -> Reaction:
    message = selectors.message_get_for_user(user=user, message_id=message_id)
    if message.is_deleted:
        raise ValidationError({"message": "The message was deleted."})
    reaction, created = Reaction.objects.get_or_create(message=message, user=user, emoji=_clean_emoji(emoji))
    if created:
        fanout.after_commit(
            fanout.to_conversation,
            message.conversation_id,
            events.reaction(message=message, user_id=user.pk, emoji=reaction.emoji, state="added"),
        )
    return reaction


@transaction.atomic
def reaction_remove(*, user: User, message_id: UUID, emoji: str) -> None:
    message = selectors.message_get_for_user(user=user, message_id=message_id)
    deleted, _ = Reaction.objects.filter(message=message, user=user, emoji=emoji).delete()
    if deleted:
        fanout.after_commit(
            fanout.to_conversation,
            message.conversation_id,
            events.reaction(message=message, user_id=user.pk, emoji=emoji, state="removed"),
        )


def _clean_emoji(emoji: str) -> str:
    emoji = emoji.strip()
    if not emoji or len(emoji) > Reaction.EMOJI_MAX_LENGTH or any(c.isspace() for c in emoji):
        raise ValidationError({"emoji": "One emoji, at most 32 characters."})
    return emoji
