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
from realtime.hub import Broadcast, BroadcastKind, _hiredis_reader, get_hub
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


class Recorder:
    """A socket of the hub's that records the seqs it is handed, and says when it has `expected` of them."""

    def __init__(self, expected: int) -> None:
        self.seqs: list[int | None] = []
        self.expected = expected
        self.complete = asyncio.Event()

    def on_broadcast(self, broadcast: Broadcast) -> None:
        self.seqs.append(broadcast.seq)
        if len(self.seqs) >= self.expected:
            self.complete.set()

    async def on_hub_reconnected(self) -> None:
        pass


async def published_at_once(channel: str, seqs: range, *, first: tuple[str, ...] = ()) -> None:
    """Publish a broadcast per seq in one round trip, so that the worker reads many of them at a time; with
    `first`, a command the hub's own subscription is sent just before, behind a PING (so that its reply is
    read with the PING's, as one read brings several replies under load)."""
    if first:
        connection = get_hub()._pubsub.connection  # type: ignore[attr-defined]
        await connection.send_packed_command(connection.pack_commands([("PING",), first]))
    async with get_async_redis().pipeline(transaction=False) as pipe:
        for seq in seqs:
            pipe.publish(
                channel, Broadcast(kind=BroadcastKind.EVENT, conversation=1, seq=seq, text="{}").encode()
            )
        await pipe.execute()


async def test_broadcasts_read_many_at_a_time_reach_the_sockets_each_once_in_publish_order():
    channel, recorder = fanout.conversation_channel(10_001), Recorder(expected=500)
    await get_hub().follow([channel], recorder)
    try:
        await published_at_once(channel, range(1, 501))
        await asyncio.wait_for(recorder.complete.wait(), 5)
    finally:
        await get_hub().unfollow([channel], recorder)

    assert recorder.seqs == list(range(1, 501))
    # those already read are taken from redis-py's hiredis reader: a redis-py that no longer has one there
    # would cost every broadcast twice the CPU again (realtime.hub.next_replies)
    assert _hiredis_reader(get_hub()._pubsub) is not None


async def test_an_error_reply_on_the_subscription_costs_the_sockets_no_broadcast():
    channel, recorder = fanout.conversation_channel(10_002), Recorder(expected=100)
    await get_hub().follow([channel], recorder)
    try:
        # when: Redis answers the subscription with an error (a command it does not know), among broadcasts
        await published_at_once(channel, range(1, 51), first=("NO-SUCH-COMMAND",))
        await published_at_once(channel, range(51, 101))
        await asyncio.wait_for(recorder.complete.wait(), 5)
    finally:
        await get_hub().unfollow([channel], recorder)

    assert recorder.seqs == list(range(1, 101))
