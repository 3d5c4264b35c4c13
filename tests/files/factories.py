import uuid
from typing import cast

import factory
from django.utils import timezone

from files.models import StoredFile
from messaging.models import Conversation, Membership, Message
from tests.accounts.factories import UserFactory


class StoredFileFactory(factory.django.DjangoModelFactory):
    """A ready file as the database knows it; no object is stored unless a test puts one."""

    class Meta:
        model = StoredFile

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"report-{n}.pdf")
    content_type = "application/pdf"
    size = 1234
    storage_key = factory.LazyFunction(lambda: f"uploads/{uuid.uuid4().hex}")
    status = StoredFile.Status.READY


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
    body = "see attached"
    client_id = factory.LazyFunction(uuid.uuid4)
    created_at = factory.LazyFunction(timezone.now)


def share(stored_file: StoredFile, *, members: list, sender=None) -> Message:
    """Attach a file to a new message in a new conversation whose members are `members` (and the sender)."""
    sender = sender or stored_file.owner
    conversation = ConversationFactory()
    for user in {sender, *members}:
        MembershipFactory(user=user, conversation=conversation)
    message = cast(Message, MessageFactory(conversation=conversation, sender=sender))
    message.attachments.add(stored_file)
    return message
