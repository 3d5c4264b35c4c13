"""Recording a change members see as an event of its conversation (docs/protocol.md, "Events and cursors"):
called inside the transaction that makes the change, by the service that makes it."""

from functools import partial
from typing import Any

from django.db import transaction

from messaging import events
from messaging.delivery.eventlog import allocate_seq, publish_event
from messaging.models import Conversation, ConversationEvent, Message
from realtime.frames import to_json

Kind = ConversationEvent.Kind


def event_record(
    *,
    conversation: Conversation,
    kind: Kind,
    message: Message | None = None,
    user_id: int | None = None,
    data: dict[str, Any] | None = None,
    exclude_user: int | None = None,
) -> str:
    """Give the change the conversation's next seq and store it; once committed, log and broadcast its frame
    (to every member's socket but `exclude_user`'s). Returns the frame's text."""
    event = _stored(conversation, kind, message=message, user_id=user_id, data=data)
    text = to_json(events.event_frame(event))
    transaction.on_commit(partial(publish_event, conversation.pk, event.seq, text, exclude_user=exclude_user))
    return text


def event_record_rendered_on_commit(
    *, conversation: Conversation, kind: Kind, user_id: int, data: dict[str, Any]
) -> None:
    """As event_record, for a change the same transaction goes on to make more of (an erased account is
    anonymised after its messages are emptied): its frame is rendered once committed, from what it names
    then, as a replay renders it."""
    event = _stored(conversation, kind, user_id=user_id, data=data)
    transaction.on_commit(partial(_publish_rendered, event.pk))


def _stored(
    conversation: Conversation,
    kind: Kind,
    *,
    message: Message | None = None,
    user_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> ConversationEvent:
    seq = allocate_seq(conversation.pk)
    event = ConversationEvent.objects.create(
        conversation=conversation, seq=seq, kind=kind, message=message, user_id=user_id, data=data or {}
    )
    Conversation.objects.filter(pk=conversation.pk, last_seq__lt=seq).update(last_seq=seq)
    return event


def _publish_rendered(event_id: int) -> None:
    event = ConversationEvent.objects.select_related("conversation", "user").get(pk=event_id)
    publish_event(event.conversation_id, event.seq, to_json(events.event_frame(event)))
