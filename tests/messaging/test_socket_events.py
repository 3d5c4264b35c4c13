"""Typing, read markers, presence, edits, deletions, reactions, sync and live membership over the socket, and
the privacy rule behind all of them: a non-member never sees an event of a conversation."""

import asyncio
import json
import uuid

import pytest
from channels.db import database_sync_to_async
from rest_framework_simplejwt.tokens import AccessToken

from core import redis as core_redis
from core.redis import get_async_redis, get_redis
from messaging import services
from messaging.delivery.journal import log_key
from messaging.models import Membership, Message

pytestmark = pytest.mark.django_db(transaction=True)


def send_frame(conversation_id, body="hello", client_id=None):
    return {
        "type": "message.send",
        "conversation": conversation_id,
        "body": body,
        "client_id": str(client_id or uuid.uuid4()),
    }


async def send_and_ack(tab, conversation_id, body="hello"):
    frame = send_frame(conversation_id, body)
    await tab.send(frame)
    return (await tab.ack_for(frame["client_id"]))["message"]


async def sentinel(sender_tab, conversation_id):
    """A message in a conversation the observer *is* in: the observer's next event must be this one."""
    return await send_and_ack(sender_tab, conversation_id, "sentinel")


async def test_typing_reaches_the_other_members_only(connect, ada, bob, eve, team, elsewhere):
    ada_tab, ada_other_tab, bob_tab, eve_tab = (
        await connect(ada),
        await connect(ada),
        await connect(bob),
        await connect(eve),
    )
    await ada_tab.send({"type": "typing", "conversation": team.pk, "state": "start"})
    assert await bob_tab.receive_type("typing") == {
        "type": "typing",
        "conversation": team.pk,
        "user": ada.pk,
        "state": "start",
    }
    await sentinel(bob_tab, elsewhere.pk)
    assert (await eve_tab.receive_type("message.new"))["message"]["body"] == "sentinel"
    assert await ada_other_tab.nothing_more()  # not echoed to the typist's own tabs


async def test_read_marker_is_stored_and_announced_to_members(connect, ada, bob, team):
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    newest = [await send_and_ack(bob_tab, team.pk, f"m{n}") for n in range(3)][-1]["seq"]
    await ada_tab.send({"type": "read", "conversation": team.pk, "seq": newest})
    assert await bob_tab.receive_type("read", skip=("presence", "message.new")) == {
        "type": "read",
        "seq": newest + 1,  # the marker's move is the conversation's next event
        "conversation": team.pk,
        "user": ada.pk,
        "up_to": newest,
    }
    membership = await Membership.objects.aget(user=ada, conversation=team)
    assert membership.last_read_seq == newest


async def test_a_read_marker_past_the_newest_message_is_refused(connect, ada, bob, team):
    ada_tab = await connect(ada)
    newest = (await send_and_ack(ada_tab, team.pk))["seq"]
    await ada_tab.send({"type": "read", "conversation": team.pk, "seq": newest + 1})
    error = await ada_tab.receive_type("error", skip=("presence", "message.new"))
    assert (error["code"], error["ref"]) == ("invalid", None)
    assert (await Membership.objects.aget(user=ada, conversation=team)).last_read_seq == 0


async def test_presence_goes_to_people_who_share_a_conversation(connect, ada, bob, eve, team):
    bob_tab, eve_tab = await connect(bob), await connect(eve)
    ada_tab = await connect(ada)
    assert await bob_tab.receive_type("presence", skip=()) == {
        "type": "presence",
        "user": ada.pk,
        "status": "online",
    }
    await ada_tab.close()
    assert await bob_tab.receive_type("presence", skip=()) == {
        "type": "presence",
        "user": ada.pk,
        "status": "offline",
    }
    assert await eve_tab.nothing_more()


async def test_a_second_tab_does_not_announce_presence_again(connect, ada, bob, team):
    bob_tab = await connect(bob)
    await connect(ada)
    assert (await bob_tab.receive_type("presence", skip=()))["status"] == "online"
    second = await connect(ada)
    await second.close()
    assert await bob_tab.nothing_more()  # ada still has a tab open


@pytest.fixture
def redis_giving_up_quickly(monkeypatch):
    """The synchronous Redis client (presence's) with a 0.2 s socket timeout, for a test where Redis holds
    writes: a round trip that waits that long fails as it would after the usual 5 s."""
    monkeypatch.setattr(core_redis, "SOCKET_TIMEOUT_SECONDS", 0.2)
    get_redis.cache_clear()
    yield
    get_redis.cache_clear()


async def test_a_socket_opens_and_works_while_redis_does_not_answer_presence_writes(
    connect, ada, team, redis_giving_up_quickly
):
    # given: a first socket has filled the caches a connect reads (the account policy), as on any busy
    # worker; then Redis holds every write (a presence entry is one) for longer than the client waits
    await (await connect(ada, sync=False)).close()
    redis = get_async_redis()
    await redis.client_pause(2000, all=False)
    try:
        # when: Ada opens a socket meanwhile
        ada_tab = await connect(ada, sync=False)

        # then: her socket is open and answers; her presence is written again by the next heartbeat
        await ada_tab.send({"type": "ping"})
        assert await ada_tab.receive_type("pong") == {"type": "pong"}
    finally:
        await redis.client_unpause()


async def test_invalid_and_expired_tokens_close_with_4401(connect, ada):
    from channels.testing import WebsocketCommunicator

    from chatproject.asgi import application
    from tests.messaging.conftest import ORIGIN

    expired = AccessToken.for_user(ada)
    from datetime import timedelta

    expired.set_exp(lifetime=-timedelta(seconds=1))
    for token in ("", "garbage", str(expired)):
        communicator = WebsocketCommunicator(application, f"/ws/?v=2&token={token}", headers=[ORIGIN])
        connected, _ = await communicator.connect()
        assert connected
        assert (await communicator.receive_output())["type"] == "websocket.close"
        closed = await communicator.receive_output() if False else None
        assert closed is None
        await communicator.disconnect()


async def test_a_socket_from_a_foreign_origin_is_refused(ada):
    from channels.testing import WebsocketCommunicator

    from chatproject.asgi import application

    communicator = WebsocketCommunicator(
        application,
        f"/ws/?v=2&token={AccessToken.for_user(ada)}",
        headers=[(b"origin", b"https://evil.example")],
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_edit_delete_and_reactions_reach_members_and_not_outsiders(
    connect, ada, bob, eve, team, elsewhere, persistence_worker
):
    ada_tab, bob_tab, eve_tab = await connect(ada), await connect(bob), await connect(eve)
    message = await send_and_ack(ada_tab, team.pk, "first draft")
    await bob_tab.receive_type("message.new")
    await wait_stored(message["id"])
    # edit
    await ada_tab.send({"type": "message.edit", "message": message["id"], "body": "final"})
    updated = await bob_tab.receive_type("message.updated")
    assert updated["message"]["body"] == "final"
    assert updated["message"]["edited_at"]
    assert updated["seq"] == message["seq"] + 1
    # someone else's message cannot be edited; the refusal names the frame's client_id, its ref
    ref = str(uuid.uuid4())
    await bob_tab.send({"type": "message.edit", "message": message["id"], "body": "hijack", "client_id": ref})
    refusal = await bob_tab.receive_type("error")
    assert (refusal["code"], refusal["ref"]) == ("forbidden", ref)
    # reactions
    await bob_tab.send({"type": "reaction.add", "message": message["id"], "emoji": "🎉"})
    assert await ada_tab.receive_type("reaction", skip=("presence", "message.new", "message.updated")) == {
        "type": "reaction",
        "seq": message["seq"] + 2,  # after the edit's
        "message": message["id"],
        "conversation": team.pk,
        "user": bob.pk,
        "emoji": "🎉",
        "state": "added",
    }
    # eve can neither touch it nor see any of it
    await eve_tab.send({"type": "reaction.add", "message": message["id"], "emoji": "👀"})
    assert (await eve_tab.receive_type("error"))["code"] == "not_found"
    # delete
    await ada_tab.send({"type": "message.delete", "message": message["id"]})
    assert await bob_tab.receive_type("message.deleted", skip=("presence", "reaction")) == {
        "type": "message.deleted",
        "seq": message["seq"] + 3,
        "conversation": team.pk,
        "id": message["id"],
        "by_moderator": False,
    }
    stored = await Message.objects.aget(pk=message["id"])
    assert stored.body == ""
    assert stored.deleted_at is not None
    await sentinel(bob_tab, elsewhere.pk)
    assert (await eve_tab.receive_type("message.new"))["message"]["body"] == "sentinel"


async def test_sync_replays_missed_messages_once_and_in_order(connect, ada, bob, team):
    ada_tab = await connect(ada)
    sent = [await send_and_ack(ada_tab, team.pk, f"m{n}") for n in range(5)]
    # bob was away for all of them and had seen up to the second
    bob_tab = await connect(bob)
    await bob_tab.send({"type": "sync", "since": {str(team.pk): sent[1]["seq"]}})
    replayed = [(await bob_tab.receive_type("message.new"))["message"] for _ in range(3)]
    assert [m["id"] for m in replayed] == [m["id"] for m in sent[2:]]
    assert await bob_tab.receive_type("sync.done") == {
        "type": "sync.done",
        "conversations": {str(team.pk): sent[-1]["seq"]},
        "more": False,
    }
    # live messages continue after the replay, without repeats
    await send_and_ack(ada_tab, team.pk, "live")
    assert (await bob_tab.receive_type("message.new"))["message"]["body"] == "live"


async def test_sync_ignores_conversations_of_others(connect, ada, bob, eve, team):
    ada_tab = await connect(ada)
    await send_and_ack(ada_tab, team.pk, "private")
    eve_tab = await connect(eve)
    await eve_tab.send({"type": "sync", "since": {str(team.pk): 0}})
    assert await eve_tab.receive_type("sync.done") == {
        "type": "sync.done",
        "conversations": {},
        "more": False,
    }


async def forget_recent_log(conversation_id: int) -> None:
    """As if the journal's recent log had been trimmed past everything sent: replays must read PostgreSQL.
    (The raw Redis key: Django's cache would prefix it and delete nothing.)"""
    deleted = await database_sync_to_async(get_redis().delete)(f"log:{conversation_id}")
    assert deleted == 1


async def test_sync_fills_gaps_older_than_the_recent_log_from_the_database(
    connect, ada, bob, team, persistence_worker
):
    ada_tab = await connect(ada)
    sent = [await send_and_ack(ada_tab, team.pk, f"m{n}") for n in range(3)]
    for message in sent:
        await wait_stored(message["id"])
    await forget_recent_log(team.pk)
    bob_tab = await connect(bob)
    await bob_tab.send({"type": "sync", "since": {str(team.pk): 0}})
    replayed = [(await bob_tab.receive_type("message.new"))["message"]["body"] for _ in range(3)]
    assert replayed == ["m0", "m1", "m2"]
    assert (await bob_tab.receive_type("sync.done"))["conversations"] == {str(team.pk): sent[-1]["seq"]}


async def test_a_gap_is_filled_with_exactly_its_range_from_the_log_or_the_database(
    connect, ada, team, persistence_worker
):
    from messaging.delivery.journal import get_journal

    ada_tab = await connect(ada)
    sent = [await send_and_ack(ada_tab, team.pk, f"m{n}") for n in range(5)]
    first = sent[0]["seq"]

    async def replayed_bodies() -> list[str]:
        page = await get_journal().replay(team.pk, after_seq=first, before_seq=first + 3)
        return [json.loads(text)["message"]["body"] for _, text in page.frames if text]

    assert await replayed_bodies() == ["m1", "m2"]  # from the recent log
    for message in sent:
        await wait_stored(message["id"])
    await forget_recent_log(team.pk)
    assert await replayed_bodies() == ["m1", "m2"]  # from the database


async def test_a_removed_member_stops_receiving_at_once_and_an_added_one_starts(connect, ada, bob, eve, team):
    ada_tab, bob_tab, eve_tab = await connect(ada), await connect(bob), await connect(eve)
    owner = await Membership.objects.select_related("conversation").aget(user=ada, conversation=team)
    # when: eve is added
    await database_sync_to_async(services.member_add)(actor=owner, user_id=eve.pk)
    added = await eve_tab.receive_type("membership")
    assert (added["state"], added["user"], added["conversation"]["id"]) == ("added", eve.pk, team.pk)
    await send_and_ack(ada_tab, team.pk, "welcome eve")
    assert (await eve_tab.receive_type("message.new"))["message"]["body"] == "welcome eve"
    # when: bob is removed
    await database_sync_to_async(services.member_remove)(actor=owner, user_id=bob.pk)
    seen_by_bob = await bob_tab.receive_type("membership", skip=("presence", "message.new"))
    assert (seen_by_bob["user"], seen_by_bob["state"]) == (eve.pk, "added")  # bob saw eve join
    assert (await bob_tab.receive_type("message.new"))["message"]["body"] == "welcome eve"
    seen_by_bob = await bob_tab.receive_type("membership")
    assert (seen_by_bob["user"], seen_by_bob["state"]) == (bob.pk, "removed")
    await send_and_ack(ada_tab, team.pk, "bob is gone")
    assert (await eve_tab.receive_type("message.new", skip=("presence", "membership")))["message"][
        "body"
    ] == "bob is gone"
    assert await bob_tab.nothing_more()
    await bob_tab.send(send_frame(team.pk, "still here?"))
    assert (await bob_tab.receive_type("error"))["code"] == "not_found"


async def wait_stored(message_id, attempts=200):
    """Wait for the Celery worker to store a message (polling the database, bounded)."""
    for _ in range(attempts):
        if await Message.objects.filter(pk=message_id).aexists():
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"message {message_id} was not stored")


async def wait_logged(conversation_id, seq, attempts=200):
    """Wait for an event to be in its conversation's recent log (polling Redis, bounded)."""
    for _ in range(attempts):
        if await get_async_redis().zcount(log_key(conversation_id), seq, seq):
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"seq {seq} of conversation {conversation_id} was not logged")


async def frames_until(tab, frame_type: str) -> list[dict]:
    """Every frame the socket is sent up to the first of `frame_type`, that one included."""
    frames = [await tab.receive()]
    while frames[-1]["type"] != frame_type:
        frames.append(await tab.receive())
    return frames


async def test_replays_and_retries_show_a_message_as_it_is_now(connect, ada, bob, team, persistence_worker):
    ada_tab = await connect(ada)
    frame = send_frame(team.pk, "secret plans")
    await ada_tab.send(frame)
    message = (await ada_tab.ack_for(frame["client_id"]))["message"]
    await wait_stored(message["id"])
    # when: ada deletes it
    await ada_tab.send({"type": "message.delete", "message": message["id"]})
    await ada_tab.receive_type("message.deleted", skip=("presence", "message.new"))
    # then: neither a retry of the send nor a replay brings the body back
    await ada_tab.send(frame)
    retried = (await ada_tab.ack_for(frame["client_id"]))["message"]
    assert (retried["id"], retried["body"], retried["deleted"]) == (message["id"], "", True)
    bob_tab = await connect(bob)
    await bob_tab.send({"type": "sync", "since": {str(team.pk): 0}})
    replayed = (await bob_tab.receive_type("message.new"))["message"]
    assert (replayed["id"], replayed["body"], replayed["deleted"]) == (message["id"], "", True)


async def test_an_edit_made_before_the_senders_worker_logged_the_message_is_what_a_sync_replays(
    connect, ada, bob, team, persistence_worker, stalled_announcements
):
    # given: ada's message was acknowledged and stored, but her web worker stalled before writing it into the
    # recent log (and broadcasting it), and meanwhile she took its words back
    ada_tab = await connect(ada)
    sent = await send_and_ack(ada_tab, team.pk, "the door code is 4711")
    await wait_stored(sent["id"])
    await database_sync_to_async(services.message_edit)(user=ada, message_id=sent["id"], body="never mind")

    # when: the worker writes and broadcasts it at last
    stalled_announcements.set()
    await wait_logged(team.pk, sent["seq"])

    # then: a sync from before it replays it as edited, and nothing of the first version
    bob_tab = await connect(bob)
    await bob_tab.send({"type": "sync", "since": {str(team.pk): 0}})
    frames = await frames_until(bob_tab, "sync.done")
    assert "4711" not in json.dumps(frames)
    [replayed] = [frame["message"] for frame in frames if frame["type"] == "message.new"]
    assert (replayed["id"], replayed["body"]) == (sent["id"], "never mind")
