"""The embedded mode's seq counter (messaging.delivery.journal.allocate_stored_seq) against the database: a
seq handed out to a message on its way is not claimed by the conversation's `last_seq` until that message is
stored, so a client that loads the conversation meanwhile starts its sync before it and counts it when it
comes (the e2e title test once saw an unread count one short)."""

import pytest

from messaging import selectors
from messaging.delivery.journal import allocate_stored_seq
from messaging.models import ConversationEvent
from messaging.services.eventlog import event_record
from messaging.services.storage import messages_store
from tests.messaging.factories import acknowledged_payload

pytestmark = pytest.mark.django_db


def loaded_last_seq(user, conversation) -> int:
    """The `last_seq` a client loading the conversation now is given (its sync cursor)."""
    return selectors.conversation_with_state_for_user(user=user, conversation_id=conversation.pk).last_seq


def test_a_message_on_its_way_is_not_claimed_until_it_is_stored(ada, bob, team):
    before = loaded_last_seq(bob, team)

    # when: a send takes the next seq, and its message is not stored yet
    seq = allocate_stored_seq(team.pk)

    # then: a client loading the conversation (or a socket starting on it) starts before that seq
    assert seq == before + 1
    assert loaded_last_seq(bob, team) == before
    assert selectors.conversations_last_seq(conversation_ids=[team.pk]) == {team.pk: before}

    # and once stored, the conversation reaches it, and the next send gets the seq after
    messages_store(messages=[acknowledged_payload(team, ada, seq=seq)])
    assert loaded_last_seq(bob, team) == seq
    assert allocate_stored_seq(team.pk) == seq + 1


def test_a_change_made_while_a_message_is_on_its_way_takes_the_seq_after_it(ada, bob, team, settings):
    settings.REDIS_URL = ""  # the embedded mode: changes take their seqs from the same counter
    on_its_way = allocate_stored_seq(team.pk)

    # when: a change (here a read marker) is recorded before the message is stored
    event_record(conversation=team, kind=ConversationEvent.Kind.READ, user_id=bob.pk, data={"up_to": 0})

    # then: the change has the next seq, and the message's stays its own
    change = ConversationEvent.objects.get(conversation=team, kind=ConversationEvent.Kind.READ)
    assert change.seq == on_its_way + 1
    messages_store(messages=[acknowledged_payload(team, ada, seq=on_its_way)])
    assert loaded_last_seq(bob, team) == change.seq
