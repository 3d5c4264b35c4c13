import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import factory
from django.utils import timezone

from accounts.models import User
from core.redis import get_redis, redis_enabled
from messaging.delivery.journal import seq_key
from messaging.events import MessagePayload, new_message_payload, sender_payload
from messaging.models import Conversation, Membership, Message
from tests.accounts.factories import UserFactory


def make_conversation(
    *members: User,
    kind: str = "group",
    title: str = "Team",
    is_public: bool = False,
    owner: User | None = None,
) -> Conversation:
    """A conversation with `members` (the first is the owner unless `owner` is given), written directly."""
    owner = owner or members[0]
    conversation = Conversation.objects.create(
        kind=kind, title="" if kind == "direct" else title, is_public=is_public, created_by=owner
    )
    for user in members:
        role = Membership.Role.OWNER if user == owner and kind != "direct" else Membership.Role.MEMBER
        Membership.objects.create(user=user, conversation=conversation, role=role)
    return conversation


def acknowledged_payload(
    conversation: Conversation,
    sender: User,
    *,
    seq: int,
    age: timedelta = timedelta(0),
    body: str = "hi",
    **extra: Any,
) -> MessagePayload:
    """A message as message_send acknowledges it (and publishes it for storage), sent `age` ago."""
    payload = new_message_payload(
        sender=sender_payload(sender),
        conversation_id=conversation.pk,
        seq=seq,
        body=body,
        client_id=uuid.uuid4(),
        created_at=datetime.now(tz=UTC) - age,
    )
    return cast(MessagePayload, {**payload, **extra})


def store_message(
    conversation: Conversation, sender: User, seq: int = 1, body: str = "hi", **fields: Any
) -> Message:
    """A stored message, written directly; its conversation's newest seq moves with it, as storage does, and
    so does its counter, so that later events take later seqs, as they would have."""
    message = Message.objects.create(
        conversation=conversation,
        sender=sender,
        seq=seq,
        body=body,
        client_id=uuid.uuid4(),
        created_at=timezone.now(),
        **fields,
    )
    Conversation.objects.filter(pk=conversation.pk, last_seq__lt=seq).update(
        last_seq=seq, last_activity_at=message.created_at
    )
    if redis_enabled():
        get_redis().eval(RAISE_COUNTER, 1, seq_key(conversation.pk), seq)
    return message


RAISE_COUNTER = """
if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
"""


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    kind = Conversation.Kind.GROUP
    title = factory.Sequence(lambda n: f"group {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    conversation = factory.SubFactory(ConversationFactory)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    sender = factory.SubFactory(UserFactory)
    seq = factory.Sequence(lambda n: n + 1)
    body = "Hello there"
    client_id = factory.LazyFunction(uuid.uuid4)
    created_at = factory.LazyFunction(timezone.now)
