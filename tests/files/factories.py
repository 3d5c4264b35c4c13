import uuid
from typing import cast

import factory

from files.models import StoredFile
from messaging.models import Message
from tests.accounts.factories import UserFactory
from tests.messaging.factories import ConversationFactory, MembershipFactory, MessageFactory


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


def share(stored_file: StoredFile, *, members: list, sender=None) -> Message:
    """Attach a file to a new message in a new conversation whose members are `members` (and the sender)."""
    sender = sender or stored_file.owner
    conversation = ConversationFactory()
    for user in {sender, *members}:
        MembershipFactory(user=user, conversation=conversation)
    message = cast(Message, MessageFactory(conversation=conversation, sender=sender))
    message.attachments.add(stored_file)
    return message
