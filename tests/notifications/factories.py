import uuid

import factory
from django.utils import timezone

from messaging.models import Conversation, Membership, Message
from notifications.models import PushSubscription
from tests.accounts.factories import UserFactory


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


class PushSubscriptionFactory(factory.django.DjangoModelFactory):
    """Give it a browser from the fake push service: `PushSubscriptionFactory(user=u, browser=b)`."""

    class Meta:
        model = PushSubscription
        exclude = ["browser"]

    user = factory.SubFactory(UserFactory)
    browser = None
    endpoint = factory.LazyAttribute(lambda s: s.browser.endpoint)
    p256dh = factory.LazyAttribute(lambda s: s.browser.p256dh)
    auth = factory.LazyAttribute(lambda s: s.browser.auth)
    device_name = "Test browser"
