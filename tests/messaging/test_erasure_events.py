"""An account erased is followed live: the members of every conversation its owner was in, or wrote in, get
one `user.erased` event there — their messages blanked (or kept, as the retention policy says) and their name
"Deleted user" — however many messages they sent; and a `sync` from before it, from the recent log or the
database, ends in the same state (docs/protocol.md)."""

import pytest
from asgiref.sync import sync_to_async

from accounts import services
from messaging import events
from messaging.models import ConversationEvent, Membership, RetentionPolicy
from tests.messaging.factories import MessageFactory, make_conversation
from tests.messaging.test_socket_events import forget_recent_log, send_and_ack, wait_stored

pytestmark = pytest.mark.django_db(transaction=True)

DELETED_USER = "Deleted user"


def erased_payload(user) -> dict:
    user.refresh_from_db()
    return {"id": user.pk, "username": user.username, "display_name": DELETED_USER}


async def sent_and_stored(tab, conversation_id, count):
    sent = [await send_and_ack(tab, conversation_id, f"bob says {n}") for n in range(count)]
    for message in sent:
        await wait_stored(message["id"])
    return sent


async def test_members_hear_one_event_per_conversation_not_one_per_message(
    connect, ada, bob, team, persistence_worker
):
    # given: bob wrote 20 messages (the send burst) in a group he shares with ada, and ada's tab is open
    bob_tab = await connect(bob)
    sent = await sent_and_stored(bob_tab, team.pk, 20)
    ada_tab = await connect(ada)

    # when: bob deletes his account
    assert await sync_to_async(services.user_erase)(user=bob)

    # then: ada hears one user.erased (no message.deleted for each message), then bob leaving the group
    erased = await ada_tab.receive_type("user.erased")
    assert erased == {
        "type": "user.erased",
        "seq": sent[-1]["seq"] + 1,
        "conversation": team.pk,
        "user": await sync_to_async(erased_payload)(bob),
        "messages": "deleted",
    }
    left = await ada_tab.receive_type("membership")
    assert (left["user"], left["state"], left["seq"]) == (bob.pk, "removed", erased["seq"] + 1)
    assert await ada_tab.nothing_more()


async def test_a_sync_from_before_the_erasure_ends_erased_from_the_log_and_the_database(
    connect, ada, bob, persistence_worker
):
    # given: a direct conversation (bob stays in it as "Deleted user") where bob wrote, and ada read up to it
    direct = await sync_to_async(make_conversation)(ada, bob, kind="direct")
    await sync_to_async(_initialise)(direct.pk)
    bob_tab = await connect(bob)
    sent = await sent_and_stored(bob_tab, direct.pk, 3)
    await sync_to_async(services.user_erase)(user=bob)
    deleted_user = await sync_to_async(erased_payload)(bob)

    for source in ("log", "database"):
        if source == "database":
            await forget_recent_log(direct.pk)
        ada_tab = await connect(ada)
        # a tab that had seen bob's messages replays only the erasure
        await ada_tab.send({"type": "sync", "since": {str(direct.pk): sent[-1]["seq"]}})
        erased = await ada_tab.receive_type("user.erased")
        assert (erased["user"], erased["messages"]) == (deleted_user, "deleted"), source
        await ada_tab.receive_type("sync.done")
        # a tab that had seen nothing replays his messages as they are now, then the erasure
        new_tab = await connect(ada)
        await new_tab.send({"type": "sync", "since": {str(direct.pk): 0}})
        replayed = [(await new_tab.receive_type("message.new"))["message"] for _ in sent]
        assert {(m["body"], m["deleted"], m["sender"]["display_name"]) for m in replayed} == {
            ("", True, DELETED_USER)
        }, source
        assert (await new_tab.receive_type("user.erased"))["seq"] == erased["seq"]
        assert (await new_tab.receive_type("sync.done"))["conversations"] == {str(direct.pk): erased["seq"]}


async def test_kept_messages_are_announced_as_kept(connect, ada, bob, team, persistence_worker):
    await sync_to_async(_keep_erased_users_messages)()
    bob_tab = await connect(bob)
    await sent_and_stored(bob_tab, team.pk, 2)
    ada_tab = await connect(ada)

    await sync_to_async(services.user_erase)(user=bob)

    erased = await ada_tab.receive_type("user.erased")
    assert (erased["user"]["display_name"], erased["messages"]) == (DELETED_USER, "kept")
    new_tab = await connect(ada)
    await new_tab.send({"type": "sync", "since": {str(team.pk): 0}})
    replayed = (await new_tab.receive_type("message.new"))["message"]
    assert (replayed["body"], replayed["deleted"], replayed["sender"]["display_name"]) == (
        "bob says 0",
        False,
        DELETED_USER,
    )


def test_every_conversation_written_in_or_shared_gets_one_event(ada, bob, cy):
    # given: bob is in a group and a direct conversation with ada, wrote in a group he has left since, and
    # is in a channel where he never wrote; cy's conversation without him hears nothing
    group, direct = make_conversation(ada, bob, cy), make_conversation(ada, bob, kind="direct")
    left, channel = make_conversation(ada, bob, title="Left"), make_conversation(ada, bob, kind="channel")
    unrelated = make_conversation(ada, cy, title="Unrelated")
    for conversation in (group, direct, left, channel, unrelated):
        _initialise(conversation.pk)
    for conversation in (group, direct, left):
        MessageFactory.create_batch(3, conversation=conversation, sender=bob)
    Membership.objects.filter(user=bob, conversation=left).delete()

    services.user_erase(user=bob)

    erased = ConversationEvent.objects.filter(kind=ConversationEvent.Kind.USER_ERASED)
    assert sorted(erased.values_list("conversation_id", flat=True)) == sorted(
        [group.pk, direct.pk, left.pk, channel.pk]
    )
    assert set(erased.values_list("user_id", flat=True)) == {bob.pk}


def test_a_conversation_holding_a_forward_of_their_words_gets_one_event_too(ada, bob, cy):
    # given: ada forwarded bob's message into her conversation with cy, where bob never was, and cy
    # forwarded ada's own words into another
    group, aside = make_conversation(ada, bob, cy), make_conversation(ada, cy, title="Aside")
    elsewhere = make_conversation(ada, cy, title="Elsewhere")
    for conversation in (group, aside, elsewhere):
        _initialise(conversation.pk)
    bobs, adas = (
        MessageFactory(conversation=group, sender=bob),
        MessageFactory(conversation=group, sender=ada),
    )
    forward = MessageFactory(conversation=aside, sender=ada, forwarded_from=events.forward_payload(bobs))
    MessageFactory(conversation=elsewhere, sender=cy, forwarded_from=events.forward_payload(adas))
    assert forward.forwarded_from["sender_id"] == bob.pk

    services.user_erase(user=bob)

    # then the aside hears it, by which open pages rename the forward; the forward keeps naming him by id
    erased = ConversationEvent.objects.filter(kind=ConversationEvent.Kind.USER_ERASED)
    assert sorted(erased.values_list("conversation_id", flat=True)) == sorted([group.pk, aside.pk])
    forward.refresh_from_db()
    assert (forward.forwarded_from["sender_name"], forward.forwarded_from["sender_id"]) == (
        DELETED_USER,
        bob.pk,
    )


def _initialise(conversation_id: int) -> None:
    from messaging.delivery.eventlog import initialise_counter

    initialise_counter(conversation_id)


def _keep_erased_users_messages() -> None:
    policy = RetentionPolicy.get_solo()
    policy.erased_users_messages = RetentionPolicy.ErasedMessages.KEEP
    policy.save()
