import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import factory
from django.utils import timezone

from accounts.models import User
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
    conversation: Conversation, sender: User, *, seq: int, age: timedelta
) -> dict[str, Any]:
    """A message as message_send acknowledges it (and publishes it for storage), sent `age` ago."""
    from messaging import events

    return {
        "id": str(uuid.uuid4()),
        "conversation": conversation.pk,
        "seq": seq,
        "sender": events.sender_payload(sender),
        "body": "hi",
        "client_id": str(uuid.uuid4()),
        "reply_to": None,
        "created_at": events.iso(datetime.now(tz=UTC) - age),
        "edited_at": None,
        "deleted": False,
        "attachments": [],
    }


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
