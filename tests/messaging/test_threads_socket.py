"""Threads over the socket: a reply in a thread is a message of the conversation's one order, its root's
summary is a `thread.updated` event (live and replayed), and a bad thread root is an `error` frame."""

import asyncio
import uuid

import pytest
from channels.db import database_sync_to_async

from core import remembered
from messaging.delivery import references
from messaging.models import ConversationEvent, Message, ThreadFollow
from moderation import services as moderation_services
from tests.accounts.factories import UserFactory
from tests.messaging.factories import make_conversation

pytestmark = pytest.mark.django_db(transaction=True)


def send_frame(conversation_id: int, body: str, thread_root: str | None = None) -> dict:
    frame = {
        "type": "message.send",
        "conversation": conversation_id,
        "body": body,
        "client_id": str(uuid.uuid4()),
    }
    if thread_root is not None:
        frame["thread_root"] = thread_root
    return frame


async def send_and_ack(tab, conversation_id: int, body: str, thread_root: str | None = None) -> dict:
    frame = send_frame(conversation_id, body, thread_root)
    await tab.send(frame)
    answer = await tab.ack_for(frame["client_id"])
    assert answer["type"] == "message.ack", answer
    return answer["message"]


async def refused(tab, conversation_id: int, thread_root: str) -> str:
    frame = send_frame(conversation_id, "x", thread_root)
    await tab.send(frame)
    answer = await tab.ack_for(frame["client_id"])
    assert answer["type"] == "error"
    return answer["code"]


async def wait_stored(message_id: str) -> None:
    for _ in range(400):
        if await Message.objects.filter(pk=message_id).aexists():
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"message {message_id} was not stored")


async def test_a_reply_reaches_members_and_its_summary_follows_as_an_event(
    connect, ada, bob, team, persistence_worker
):
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    root = await send_and_ack(ada_tab, team.pk, "lunch?")
    await bob_tab.receive_type("message.new")
    # when bob replies in its thread
    answer = await send_and_ack(bob_tab, team.pk, "yes", thread_root=root["id"])
    # then ada gets the reply, marked as the thread's, then the root's new summary
    await ada_tab.receive_type("message.new")  # the echo of her own root
    new = await ada_tab.receive_type("message.new")
    assert (new["message"]["id"], new["message"]["thread_root"]) == (answer["id"], root["id"])
    updated = await ada_tab.receive_type("thread.updated")
    assert updated["seq"] > answer["seq"]
    assert updated["conversation"] == team.pk
    assert updated["root"] == root["id"]
    assert updated["thread"] == {
        "reply_count": 1,
        "last_reply_at": answer["created_at"],
        "last_reply_seq": answer["seq"],
        "participants": [bob.pk],
    }
    # and both of them now follow it
    assert {f.user_id async for f in ThreadFollow.objects.filter(root_id=root["id"], following=True)} == {
        ada.pk,
        bob.pk,
    }


async def test_sync_replays_replies_and_summaries_in_order_once(connect, ada, bob, team, persistence_worker):
    ada_tab = await connect(ada)
    root = await send_and_ack(ada_tab, team.pk, "root")
    replies = [await send_and_ack(ada_tab, team.pk, f"r{n}", thread_root=root["id"]) for n in range(2)]
    for message in replies:
        await wait_stored(message["id"])
    summaries = ConversationEvent.objects.filter(conversation=team, kind="thread.updated")
    for _ in range(400):  # the summary is recorded once the worker stored the replies
        if await summaries.filter(message__reply_count=2).aexists():
            break
        await asyncio.sleep(0.025)
    # when bob's new tab catches up from before the root
    bob_tab = await connect(bob, sync=False)
    await bob_tab.send({"type": "sync", "since": {str(team.pk): root["seq"] - 1}})
    replayed = []
    while (frame := await bob_tab.receive())["type"] != "sync.done":
        if frame["type"] != "presence":
            replayed.append(frame)
    # then every event arrives once, in seq order: the root, its replies, the summaries after them
    seqs = [frame["seq"] for frame in replayed]
    assert seqs == sorted(set(seqs))
    assert [f["message"]["id"] for f in replayed if f["type"] == "message.new"] == [
        root["id"],
        *[r["id"] for r in replies],
    ]
    assert [f["message"]["thread_root"] for f in replayed[1:3]] == [root["id"], root["id"]]
    last_summary = [f for f in replayed if f["type"] == "thread.updated"][-1]
    assert last_summary["thread"]["reply_count"] == 2
    assert last_summary["seq"] > replies[-1]["seq"]


async def test_a_root_acknowledged_but_not_stored_yet_takes_replies(connect, ada, bob, team):
    # no persistence worker: the root is only in the recent log
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    root = await send_and_ack(ada_tab, team.pk, "just sent")
    answer = await send_and_ack(bob_tab, team.pk, "quick reply", thread_root=root["id"])
    assert answer["thread_root"] == root["id"]


async def test_a_bad_thread_root_is_an_error_frame_and_nothing_is_sent(connect, ada, bob, eve, team):
    ada_tab = await connect(ada)
    root = await send_and_ack(ada_tab, team.pk, "root")
    answer = await send_and_ack(ada_tab, team.pk, "reply", thread_root=root["id"])
    elsewhere = await make_conversation_async(ada, eve)
    # a reply cannot start a thread
    assert await refused(ada_tab, team.pk, answer["id"]) == "invalid"
    # a message that does not exist, or of another conversation, is not found
    assert await refused(ada_tab, team.pk, str(uuid.uuid4())) == "not_found"
    assert await refused(ada_tab, elsewhere.pk, root["id"]) == "not_found"
    # a thread_root that is not an id
    assert await refused(ada_tab, team.pk, "nope") == "invalid"
    # and none of the refused sends took a seq: the next message follows the reply directly
    following = await send_and_ack(ada_tab, team.pk, "after")
    assert following["seq"] == answer["seq"] + 1


BEFORE_DELETED = ("presence", "message.new", "thread.updated")


async def test_a_root_its_sender_deleted_takes_no_reply(connect, ada, bob, team, persistence_worker):
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    root = await send_and_ack(ada_tab, team.pk, "lunch?")
    await wait_stored(root["id"])
    # when ada deletes it, and bob sees it go
    await ada_tab.send({"type": "message.delete", "message": root["id"]})
    await bob_tab.receive_type("message.deleted", skip=BEFORE_DELETED)
    # then bob's reply into its thread is refused as one into a message that does not exist
    answers = []
    for thread_root in (root["id"], str(uuid.uuid4())):
        frame = send_frame(team.pk, "yes", thread_root)
        await bob_tab.send(frame)
        answer = await bob_tab.ack_for(frame["client_id"])
        answers.append((answer["type"], answer["code"], answer["detail"]))
    assert answers[0] == answers[1]
    assert answers[0][:2] == ("error", "not_found")


async def test_a_root_a_moderator_removed_takes_no_reply_once_looked_up_again(
    connect, ada, bob, team, persistence_worker, monkeypatch
):
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    root = await send_and_ack(ada_tab, team.pk, "rude words")
    await wait_stored(root["id"])
    await send_and_ack(bob_tab, team.pk, "rude answer", thread_root=root["id"])  # this worker knows the root
    moderator = await database_sync_to_async(UserFactory)(username="mod", is_staff=True, is_superuser=True)
    message = await Message.objects.aget(pk=root["id"])
    # when a moderator removes the root, and the worker's look at it is older than the recheck interval
    await database_sync_to_async(moderation_services.message_remove)(
        moderator=moderator, message=message, reason="rude"
    )
    await bob_tab.receive_type("message.deleted", skip=BEFORE_DELETED)
    later = remembered.monotonic() + references.RECHECK_SECONDS + 1
    monkeypatch.setattr(remembered, "monotonic", lambda: later)
    # then another reply into its thread is refused
    assert await refused(bob_tab, team.pk, root["id"]) == "not_found"


async def make_conversation_async(*members):
    from messaging.delivery.eventlog import initialise_counter

    conversation = await database_sync_to_async(make_conversation)(*members, title="Elsewhere")
    await database_sync_to_async(initialise_counter)(conversation.pk)
    return conversation
