"""An erasure reaches every conversation that shows the erased person: where they only reacted (and left
since), their reactions go live too; and forwards of their words are renamed, and their conversations told,
even where the original is gone (purged by retention, or with its conversation)."""

import pytest

from accounts import services
from messaging import events
from messaging.delivery.eventlog import initialise_counter
from messaging.models import ConversationEvent, Membership, Message, Reaction
from tests.messaging.factories import MessageFactory, make_conversation

pytestmark = pytest.mark.django_db(transaction=True)


def erased_in() -> list[int]:
    """The conversations that heard a `user.erased`."""
    erased = ConversationEvent.objects.filter(kind=ConversationEvent.Kind.USER_ERASED)
    return sorted(erased.values_list("conversation_id", flat=True))


def test_a_conversation_where_they_only_reacted_and_left_hears_it(ada, bob, cy):
    # given: bob reacted to ada's message in a group he has left since, and never wrote there
    group = make_conversation(ada, bob, cy, title="Reacted")
    initialise_counter(group.pk)
    adas = MessageFactory(conversation=group, sender=ada)
    Reaction.objects.create(message=adas, user=bob, emoji="👍")
    Membership.objects.filter(user=bob, conversation=group).delete()

    services.user_erase(user=bob)

    # then: the group hears it, by which open pages drop his reaction as a reload would
    assert erased_in() == [group.pk]
    assert not Reaction.objects.filter(message=adas).exists()


def test_forwards_of_words_whose_original_is_gone_are_renamed_and_announced(ada, bob, cy):
    # given: ada forwarded bob's message into her conversation with cy, and cy forwarded that forward on;
    # then bob's original was purged (retention deletes rows)
    group, aside = make_conversation(ada, bob, title="Gone"), make_conversation(ada, cy, title="Aside")
    onwards = make_conversation(cy, ada, title="Onwards")
    for conversation in (group, aside, onwards):
        initialise_counter(conversation.pk)
    bobs = MessageFactory(conversation=group, sender=bob, body="bob's words")
    forward = MessageFactory(conversation=aside, sender=ada, forwarded_from=events.forward_payload(bobs))
    again = MessageFactory(conversation=onwards, sender=cy, forwarded_from=events.forward_payload(forward))
    Message.objects.filter(pk=bobs.pk).delete()

    services.user_erase(user=bob)

    # then: both forwards name "Deleted user" (still by his id), and both conversations heard it
    for copy in (forward, again):
        copy.refresh_from_db()
        named = copy.forwarded_from
        assert (named["sender_name"], named["sender_id"]) == ("Deleted user", bob.pk)
    assert erased_in() == sorted([group.pk, aside.pk, onwards.pk])
