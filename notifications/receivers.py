"""What notifications does when messaging tells it something (messaging.signals): messaging sits below
notifications and never calls it directly."""

from functools import partial
from typing import Any
from uuid import UUID

from django.db import transaction
from django.dispatch import receiver

from accounts.models import User
from accounts.signals import user_erasing
from messaging.events import MessagePayload
from messaging.signals import message_deleted, messages_stored
from notifications.selectors import anyone_pushable_in
from notifications.services import push_data_erase, push_deliveries_drop, push_schedule_for_messages


@receiver(user_erasing)
def erase_notifications(sender: Any, user: User, **kwargs: Any) -> None:
    """Their subscriptions and preferences, and the pushes of their messages (whose payloads name them)."""
    push_data_erase(user=user)


@receiver(message_deleted)
def drop_deleted_message_s_pushes(sender: Any, message_id: UUID, **kwargs: Any) -> None:
    """Its pushes' payloads hold its words: none is sent from now on, and none is kept."""
    push_deliveries_drop(message_id=message_id)


@receiver(messages_stored)
def schedule_pushes(sender: Any, messages: list[MessagePayload], **kwargs: Any) -> None:
    """Decide pushes for newly stored messages, unless nobody in their conversations could be pushed at
    all: one query here spares a task (and its queries) for every batch no push subscriber is part of."""
    if anyone_pushable_in(conversation_ids={m["conversation"] for m in messages}):
        message_ids = [UUID(m["id"]) for m in messages]
        transaction.on_commit(partial(push_schedule_for_messages, message_ids))
