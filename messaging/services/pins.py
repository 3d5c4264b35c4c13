"""Pinning messages in their conversation: who may pin is the conversation's `pin_policy` (every member, or
its owners and admins). Each pin and unpin is an event of the conversation (messaging.services.eventlog), so
it arrives live and in every replay; deleting a message unpins it (messaging.services.messages)."""

from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import User
from messaging import selectors
from messaging.models import ConversationEvent, Message, Pin
from messaging.services.eventlog import event_record

PIN_FORBIDDEN = "Only the conversation's owners and admins can pin and unpin messages here."


def _pinnable(user: User, message_id: UUID) -> Message:
    """The message, if the user may see it (NotFound otherwise) and the conversation lets them pin."""
    message = selectors.message_get_for_user(user=user, message_id=message_id)
    if not selectors.membership_get(user=user, conversation_id=message.conversation_id).can_pin:
        raise PermissionDenied(PIN_FORBIDDEN)
    return message


def _record_pin(message: Message, user: User, *, state: str) -> None:
    event_record(
        conversation=message.conversation,
        kind=ConversationEvent.Kind.PIN,
        message=message,
        user_id=user.pk,
        data={"state": state},
    )


@transaction.atomic
def message_pin(*, user: User, message_id: UUID) -> Pin:
    """Pin a message; pinning a pinned one changes nothing (a retry is not a second pin)."""
    message = _pinnable(user, message_id)
    if message.is_deleted:
        raise ValidationError({"message": "The message was deleted."})
    existing = Pin.objects.filter(message=message).first()
    if existing is not None:
        return existing
    if Pin.objects.filter(conversation_id=message.conversation_id).count() >= Pin.MAX_PER_CONVERSATION:
        raise ValidationError({"message": f"At most {Pin.MAX_PER_CONVERSATION} pinned messages; unpin one."})
    pin, created = Pin.objects.get_or_create(
        message=message, defaults={"conversation_id": message.conversation_id, "pinned_by": user}
    )
    if created:
        _record_pin(message, user, state="pinned")
    return pin


@transaction.atomic
def message_unpin(*, user: User, message_id: UUID) -> None:
    """Unpin a message; unpinning one that is not pinned changes nothing."""
    message = _pinnable(user, message_id)
    deleted, _ = Pin.objects.filter(message=message).delete()
    if deleted:
        _record_pin(message, user, state="unpinned")
