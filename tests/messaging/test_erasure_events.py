"""An account erased is followed live: the members of every conversation its owner was in, or wrote in, get
one `user.erased` event there — their messages blanked (or kept, as the retention policy says) and their name
"Deleted user" — however many messages they sent; and a `sync` from before it, from the recent log or the
database, ends in the same state (docs/protocol.md)."""

import json
import threading

import pytest
from asgiref.sync import sync_to_async
from django.db import connection, transaction

from accounts import services
from messaging import events
from messaging.delivery.eventlog import allocate_seq
from messaging.models import ConversationEvent, Membership, Message, RetentionPolicy
from messaging.services import messages_store
from tests.conftest import someone_waits_for_a_lock, take_queued_task, wait_until
from tests.messaging.factories import MessageFactory, acknowledged_payload, make_conversation
from tests.messaging.test_socket_events import (
    forget_recent_log,
    frames_until,
    send_and_ack,
    wait_logged,
    wait_stored,
)

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


# --- messages acknowledged before the erasure, stored after it (the persistence task's batch)


def _queued_batch_with(message_id: str) -> list[dict]:
    """The persistence task's batch holding the message, taken off RabbitMQ (no worker consumes here)."""
    for _ in range(100):
        batch = take_queued_task("persistence").decode()[0][0]
        if any(m["id"] == message_id for m in batch):
            return batch
    raise AssertionError(f"no queued batch holds {message_id}")


async def test_a_message_stored_after_its_senders_erasure_is_stored_as_erasure_left_his(
    connect, ada, bob, team
):
    # given: bob's message was acknowledged (queued on RabbitMQ, broadcast) but not stored yet when he
    # deleted his account; ada's open tab heard the erasure after it
    bob_tab, ada_tab = await connect(bob), await connect(ada)
    sent = await send_and_ack(bob_tab, team.pk, "bob's secret")
    assert (await ada_tab.receive_type("message.new"))["message"]["body"] == "bob's secret"
    await sync_to_async(services.user_erase)(user=bob)
    erased = await ada_tab.receive_type("user.erased")
    assert (erased["seq"], erased["messages"]) == (sent["seq"] + 1, "deleted")

    # when: the persistence task stores it
    batch = await sync_to_async(_queued_batch_with)(sent["id"])
    assert await sync_to_async(messages_store)(messages=batch) == (1, [], {})

    # then: stored at its seq (no gap), emptied and deleted, from "Deleted user", like his stored ones
    stored = await Message.objects.select_related("sender").aget(pk=sent["id"])
    assert (stored.seq, stored.body, stored.is_deleted, stored.sender.display_name) == (
        sent["seq"],
        "",
        True,
        DELETED_USER,
    )
    # a replay from the recent log shows it so, then the one erasure (announced after it: no other)
    new_tab = await connect(ada)
    await new_tab.send({"type": "sync", "since": {str(team.pk): 0}})
    replayed = (await new_tab.receive_type("message.new"))["message"]
    deleted_user = await sync_to_async(erased_payload)(bob)
    assert (replayed["body"], replayed["deleted"], replayed["sender"]) == ("", True, deleted_user)
    assert (await new_tab.receive_type("user.erased"))["seq"] == erased["seq"]
    assert await ConversationEvent.objects.filter(kind=ConversationEvent.Kind.USER_ERASED).acount() == 1


async def test_a_message_stored_and_erased_before_its_worker_logged_it_is_logged_erased(
    connect, ada, bob, team, stalled_announcements
):
    # given: bob's message was acknowledged, and stored, but its web worker stalled before writing it into
    # the recent log (and broadcasting it) until after bob deleted his account
    bob_tab, ada_tab = await connect(bob), await connect(ada)
    sent = await send_and_ack(bob_tab, team.pk, "bob's secret")
    batch = await sync_to_async(_queued_batch_with)(sent["id"])
    assert await sync_to_async(messages_store)(messages=batch) == (1, [], {})
    await sync_to_async(services.user_erase)(user=bob)

    # when: the worker writes and broadcasts it at last
    stalled_announcements.set()
    await wait_logged(team.pk, sent["seq"])

    # then: ada's open tab is sent it as the erasure left it, and so is a tab syncing from before it
    deleted_user = await sync_to_async(erased_payload)(bob)
    live = await frames_until(ada_tab, "membership")  # (bob leaves the group after the erasure)
    new_tab = await connect(ada)
    await new_tab.send({"type": "sync", "since": {str(team.pk): 0}})
    replayed = await frames_until(new_tab, "sync.done")
    for frames in (live, replayed):
        assert "bob's secret" not in json.dumps(frames)
        [message] = [frame["message"] for frame in frames if frame["type"] == "message.new"]
        assert (message["id"], message["body"], message["deleted"], message["sender"]) == (
            sent["id"],
            "",
            True,
            deleted_user,
        )


def test_open_pages_hear_the_erasure_again_after_a_late_message_or_forward_of_his(ada, bob, cy, team):
    # given: ada's forward of bob's words into her aside with cy (where the erasure is not announced) was
    # acknowledged before bob was erased, and a send of bob's was acknowledged after (its seq follows
    # the erasure's); neither is stored yet
    original = MessageFactory(conversation=team, sender=bob, body="bob's words")
    aside = make_conversation(ada, cy, title="Aside")
    _initialise(aside.pk)
    forward = acknowledged_payload(
        aside,
        ada,
        seq=allocate_seq(aside.pk),
        body=original.body,
        forwarded_from=events.forward_payload(original),
    )
    services.user_erase(user=bob)
    announced = ConversationEvent.objects.get(kind=ConversationEvent.Kind.USER_ERASED, conversation=team)
    late = acknowledged_payload(team, bob, seq=allocate_seq(team.pk), body="bob again")
    assert late["seq"] > announced.seq

    # when
    assert messages_store(messages=[forward, late]) == (2, [], {})

    # then: the forward names "Deleted user", his late message is emptied, and each conversation hears a
    # user.erased after them, by which open pages show what a reload shows
    stored_forward = Message.objects.get(pk=forward["id"])
    assert (stored_forward.body, stored_forward.forwarded_from["sender_name"]) == (
        "bob's words",
        DELETED_USER,
    )
    assert (Message.objects.get(pk=late["id"]).body, Message.objects.get(pk=late["id"]).is_deleted) == (
        "",
        True,
    )
    after = ConversationEvent.objects.filter(kind=ConversationEvent.Kind.USER_ERASED, user=bob)
    assert sorted(after.exclude(pk=announced.pk).values_list("conversation_id", "seq", "data")) == sorted(
        [
            (aside.pk, forward["seq"] + 1, {"messages": "deleted"}),
            (team.pk, late["seq"] + 1, {"messages": "deleted"}),
        ]
    )


def test_a_batch_stored_while_an_erasure_commits_waits_for_it(bob, team):
    # given: bob's erasure has locked his account, and not committed
    message = acknowledged_payload(team, bob, seq=allocate_seq(team.pk), body="bob's secret")
    erased, release = threading.Event(), threading.Event()

    def erase() -> None:
        with transaction.atomic():
            services.user_erase(user=bob)
            erased.set()
            release.wait(timeout=30)
        connection.close()

    def store() -> None:
        messages_store(messages=[message])
        connection.close()

    eraser, storer = threading.Thread(target=erase), threading.Thread(target=store)
    eraser.start()
    assert erased.wait(timeout=30)
    # when: the persistence task stores his message meanwhile
    storer.start()
    wait_until(someone_waits_for_a_lock, "the batch to wait for the erasure")
    release.set()
    eraser.join(timeout=30)
    storer.join(timeout=30)
    # then: it waited, saw the erasure, and stored the message as the erasure left his
    stored = Message.objects.get(pk=message["id"])
    assert (stored.body, stored.is_deleted) == ("", True)


def _initialise(conversation_id: int) -> None:
    from messaging.delivery.eventlog import initialise_counter

    initialise_counter(conversation_id)


def _keep_erased_users_messages() -> None:
    policy = RetentionPolicy.get_solo()
    policy.erased_users_messages = RetentionPolicy.ErasedMessages.KEEP
    policy.save()
