"""The hub (realtime.hub): one Redis pub/sub connection per worker carries every broadcast to its sockets."""

import asyncio
import uuid

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings

from core.redis import get_async_redis, get_redis
from messaging import events
from messaging.delivery.journal import RedisJournal, get_journal
from messaging.events import MessagePayload, new_message_payload
from realtime import close_codes, fanout
from realtime.hub import Broadcast, BroadcastKind
from tests.messaging.test_socket_events import send_and_ack

pytestmark = pytest.mark.django_db(transaction=True)


async def acknowledged_without_broadcast(sender, conversation, body: str) -> MessagePayload:
    """A message the journal holds (acknowledged) whose broadcast never reached this worker, as happens to
    one published while the worker's pub/sub connection was down."""
    client_id = uuid.uuid4()
    reservation = await get_journal().reserve(
        sender_id=sender.pk, client_id=client_id, conversation_id=conversation.pk
    )
    assert reservation.seq is not None
    message = new_message_payload(
        sender=events.sender_payload(sender),
        conversation_id=conversation.pk,
        seq=reservation.seq,
        body=body,
        client_id=client_id,
    )
    await get_journal().commit(message)
    return message


async def test_sockets_catch_up_on_what_was_sent_while_pubsub_was_reconnecting(connect, ada, bob, team):
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    await send_and_ack(ada_tab, team.pk, "before")
    for tab in (ada_tab, bob_tab):
        assert (await tab.receive_type("message.new"))["message"]["body"] == "before"
    missed = await acknowledged_without_broadcast(ada, team, "while reconnecting")

    # when: Redis drops the worker's pub/sub connection (a failover, a network blip)
    killed = await database_sync_to_async(get_redis().client_kill_filter)(_type="pubsub")

    # then: redis-py reconnects, and both sockets get the missed message, once, then live ones again
    assert killed >= 1
    for tab in (ada_tab, bob_tab):
        caught_up = (await tab.receive_type("message.new"))["message"]
        assert (caught_up["body"], caught_up["seq"]) == ("while reconnecting", missed["seq"])
    await send_and_ack(ada_tab, team.pk, "after")
    assert (await bob_tab.receive_type("message.new"))["message"]["body"] == "after"
    assert await bob_tab.nothing_more()


async def test_a_socket_that_cannot_catch_up_after_a_reconnect_is_told_to_reconnect_and_sync(
    connect, ada, bob, team, monkeypatch
):
    # given: the journal will fail the next time a socket asks it what it missed (Redis failing over still)
    replay, failing = RedisJournal.replay, asyncio.Event()

    async def replay_failing_when_told(journal, *args, **kwargs):
        if failing.is_set():
            failing.clear()
            raise ConnectionError("the shard holding the log is failing over")
        return await replay(journal, *args, **kwargs)

    monkeypatch.setattr(RedisJournal, "replay", replay_failing_when_told)
    bob_tab = await connect(bob)
    missed = await acknowledged_without_broadcast(ada, team, "while reconnecting")

    # when: the worker's pub/sub connection drops and comes back, and bob's catch-up fails
    failing.set()
    assert await database_sync_to_async(get_redis().client_kill_filter)(_type="pubsub") >= 1

    # then: bob's socket is closed with 1012 rather than left behind, and his client's sync gets the message
    assert await bob_tab.close_code() == close_codes.SERVICE_RESTART
    assert not failing.is_set()
    again = await connect(bob, sync=False)
    await again.send({"type": "sync", "since": {str(team.pk): missed["seq"] - 1}})
    synced = (await again.receive_type("message.new"))["message"]
    assert (synced["body"], synced["seq"]) == ("while reconnecting", missed["seq"])


async def test_a_worker_subscribes_once_per_conversation_however_many_sockets_follow_it(
    connect, ada, bob, team
):
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    channel = fanout.conversation_channel(team.pk)
    assert await get_async_redis().pubsub_numsub(channel) == [(channel.encode(), 1)]

    # when: one of the two sockets leaves, the subscription stays; when the last leaves, it goes
    await ada_tab.close()
    await send_and_ack(bob_tab, team.pk, "still here")
    assert await get_async_redis().pubsub_numsub(channel) == [(channel.encode(), 1)]
    await bob_tab.close()
    assert await get_async_redis().pubsub_numsub(channel) == [(channel.encode(), 0)]


async def test_a_broadcast_of_an_installation_on_another_redis_database_never_reaches_our_sockets(
    connect, ada, bob, team, settings
):
    """Pub/sub channels are server-wide: a neighbour using database 2 of the same Redis server publishes on
    channels of its own, even for a conversation with the same id as ours."""
    bob_tab = await connect(bob)
    with override_settings(REDIS_URL=settings.REDIS_URL.rsplit("/", 1)[0] + "/2"):
        payload = {"type": "message.new", "message": {"body": "not yours"}}
        theirs, broadcast = fanout.conversation_event(team.pk, payload, seq=1)
    assert theirs != fanout.conversation_channel(team.pk)
    await get_async_redis().publish(theirs, broadcast.encode())

    # then: what bob gets next is the next message of his own installation
    await send_and_ack(await connect(ada), team.pk, "ours")
    assert (await bob_tab.receive_type("message.new"))["message"]["body"] == "ours"
    assert await bob_tab.nothing_more()


def test_a_broadcast_survives_the_wire_unchanged():
    broadcast = Broadcast(
        kind=BroadcastKind.EVENT, conversation=7, seq=3, text='{"type":"x","s":"a\\nb é"}', sent_at=1.5
    )
    assert Broadcast.decode(broadcast.encode()) == broadcast
    skip = Broadcast(kind=BroadcastKind.SKIP, conversation=7, seq=4)
    assert Broadcast.decode(skip.encode()) == skip
