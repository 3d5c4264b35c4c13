"""Service rules the REST API cannot reach directly: storing acknowledged messages, and member limits."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from uuid6 import uuid7

from files.events import attachment_payload
from messaging import services
from messaging.events import MessagePayload, iso, message_payload
from messaging.models import Conversation, Membership, Message
from messaging.services import conversations
from tests.accounts.factories import UserFactory
from tests.files.factories import StoredFileFactory
from tests.messaging.factories import acknowledged_payload, make_conversation

pytestmark = pytest.mark.django_db


def payload(conversation: Conversation, sender, seq: int, body: str = "hi", **extra) -> MessagePayload:
    """A message as the send path acknowledges it and the persistence task receives it."""
    return acknowledged_payload(conversation, sender, seq=seq, body=body, **extra)


@pytest.fixture
def team(ada):
    return make_conversation(ada, UserFactory(), title="Team")


# --- messages_store


def test_a_message_whose_file_was_discarded_before_it_was_stored_is_stored_without_it(ada, team):
    # given: ada's message with two files was acknowledged, then she discarded one before it was stored
    kept, discarded = StoredFileFactory(owner=ada), StoredFileFactory(owner=ada)
    files = [attachment_payload(kept), attachment_payload(discarded)]
    batch = [payload(team, ada, 1, "two files", attachments=files), payload(team, ada, 2, "next")]
    discarded.delete()
    # when
    stored = services.messages_store(messages=batch)
    # then: both messages are stored (none dead-lettered), the first with the file that is left
    assert stored == (2, [], {})
    assert list(Message.objects.get(seq=1, conversation=team).attachments.all()) == [kept]


def test_a_batch_stored_twice_is_stored_once(ada, team):
    # given
    batch = [payload(team, ada, 1, "one"), payload(team, ada, 2, "two")]
    # when
    first = services.messages_store(messages=batch)
    again = services.messages_store(messages=batch)
    # then
    assert (first, again) == ((2, [], {}), (0, [], {}))
    assert list(Message.objects.values_list("seq", "body")) == [(1, "one"), (2, "two")]


def test_a_stored_message_reads_back_as_it_was_acknowledged_whatever_its_text(ada, bob, team):
    # given: bodies a column of text in an array must keep as they are, and every optional field set or not
    bodies = ['say "hi", {x}', "back\\slash 'quoted' NULL", "line\nbreak\ttab", "ñ 🎉 ∑", " "]
    root = payload(team, ada, 1, bodies[0])
    forward = {"message": str(uuid7()), "conversation": team.pk, "sender_name": 'Bob "B"'}
    batch = [
        root,
        payload(team, bob, 2, bodies[1], reply_to=root["id"], mentions=[ada.pk], mentions_here=True),
        payload(team, ada, 3, bodies[2], thread_root=root["id"], forwarded_from=forward, mentions_all=True),
        payload(team, bob, 4, bodies[3]),
        payload(team, ada, 5, bodies[4]),
    ]
    # when
    assert services.messages_store(messages=batch) == (5, [], {})
    # then: what a client loading the conversation gets is what the sender's ack said, field by field
    stored = {str(m.pk): m for m in Message.objects.select_related("sender")}
    for sent in batch:
        message = stored[sent["id"]]
        read_back = message_payload(message)
        for field in ("body", "client_id", "reply_to", "thread_root", "created_at", "forwarded_from", "seq"):
            assert read_back[field] == sent[field], field
        assert (read_back["mentions"], read_back["mentions_here"], read_back["mentions_all"]) == (
            sent["mentions"],
            sent["mentions_here"],
            sent["mentions_all"],
        )
        assert (message.sender_id, message.previews) == (sent["sender"]["id"], [])
    # and the thread its reply started is counted on its root
    assert (stored[root["id"]].reply_count, stored[root["id"]].thread_participants) == (1, [ada.pk])
    assert {m.reply_count for m in stored.values() if str(m.pk) != root["id"]} == {0}


def test_a_resend_under_a_new_id_but_the_same_client_id_is_not_a_second_message(ada, team):
    original = payload(team, ada, 1, "once")
    services.messages_store(messages=[original])
    resent = {**payload(team, ada, 2, "once"), "client_id": original["client_id"]}
    assert services.messages_store(messages=[resent]) == (0, [], {})
    assert Message.objects.count() == 1


def test_a_message_whose_seq_is_taken_is_reported_not_silently_dropped(ada, team):
    # given
    services.messages_store(messages=[payload(team, ada, 1, "first")])
    clash, fine = payload(team, ada, 1, "same seq"), payload(team, ada, 2, "next")
    # when
    stored, unstorable, errors = services.messages_store(messages=[clash, fine])
    # then: the rest of the batch is stored, the clash goes to the dead letters, saying why
    assert (stored, unstorable) == (1, [clash])
    assert errors == {clash["id"]: "IntegrityError: a message's seq is held by another message"}
    assert list(Message.objects.values_list("seq", "body")) == [(1, "first"), (2, "next")]


def test_storing_advances_the_conversation_and_never_moves_it_back(ada, team):
    # given
    later = timezone.now() + timedelta(minutes=5)
    services.messages_store(messages=[payload(team, ada, 7, created_at=iso(later))])
    # when: an older message arrives late
    services.messages_store(messages=[payload(team, ada, 3, created_at=iso(later - timedelta(minutes=4)))])
    # then
    team.refresh_from_db()
    assert (team.last_seq, team.last_activity_at) == (7, later)


def test_a_batch_advances_each_of_its_conversations_to_its_own_newest_message(ada, team):
    # given: a batch spanning two conversations, out of seq order
    elsewhere = make_conversation(ada, title="Elsewhere")
    start = timezone.now()
    at = {seq: iso(start + timedelta(seconds=seq)) for seq in range(1, 6)}
    batch = [
        payload(team, ada, 4, created_at=at[4]),
        payload(elsewhere, ada, 2, created_at=at[2]),
        payload(team, ada, 1, created_at=at[1]),
        payload(elsewhere, ada, 1, created_at=at[1]),
    ]
    # when
    services.messages_store(messages=batch)
    # then
    team.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (team.last_seq, iso(team.last_activity_at)) == (4, at[4])
    assert (elsewhere.last_seq, iso(elsewhere.last_activity_at)) == (2, at[2])


def test_a_reply_to_another_conversation_is_dropped_but_a_parent_in_flight_is_kept(ada, team):
    # given
    elsewhere = make_conversation(ada, title="Elsewhere")
    foreign = payload(elsewhere, ada, 1)
    services.messages_store(messages=[foreign])
    in_flight = str(uuid7())
    # when
    cross = payload(team, ada, 1, reply_to=foreign["id"])
    early = payload(team, ada, 2, reply_to=in_flight)
    services.messages_store(messages=[cross, early])
    # then
    assert Message.objects.get(pk=cross["id"]).reply_to_id is None
    assert str(Message.objects.get(pk=early["id"]).reply_to_id) == in_flight


@pytest.mark.parametrize("size", [1, 50])
def test_storing_a_batch_costs_the_same_queries_whatever_its_size(ada, team, size, django_assert_num_queries):
    # given: a batch spanning two conversations (when it has more than one message)
    elsewhere = make_conversation(ada, title="Elsewhere")
    batch = [payload((team, elsewhere)[seq % 2], ada, seq) for seq in range(1, size + 1)]
    # then: a look at whether its authors were erased (their rows locked), the insert, one update of the
    # conversations and one look for push subscribers, in a savepoint
    with django_assert_num_queries(6):
        assert services.messages_store(messages=batch) == (size, [], {})
    # and stored again: the same look, the insert and one look at what holds the skipped rows
    with django_assert_num_queries(5):
        assert services.messages_store(messages=batch) == (0, [], {})


# --- member limits


def test_a_group_is_created_with_at_most_the_member_limit(monkeypatch, ada):
    monkeypatch.setattr(conversations, "GROUP_MAX_MEMBERS", 3)
    others = UserFactory.create_batch(3)
    with pytest.raises(ValidationError):
        services.conversation_create(
            creator=ada, kind="group", title="Big", member_ids=[u.pk for u in others]
        )
    assert not Conversation.objects.exists()


def test_a_full_group_takes_no_more_members(monkeypatch, ada):
    # given
    monkeypatch.setattr(conversations, "GROUP_MAX_MEMBERS", 3)
    full = make_conversation(ada, *UserFactory.create_batch(2), title="Full")
    owner = Membership.objects.get(user=ada, conversation=full)
    # when
    with pytest.raises(ValidationError) as refused:
        services.member_add(actor=owner, user_id=UserFactory().pk)
    # then
    assert "user" in refused.value.message_dict
    assert full.memberships.count() == 3
    # a member already in a full group is simply confirmed
    assert services.member_add(actor=owner, user_id=ada.pk) == (owner, False)
