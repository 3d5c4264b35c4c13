"""A send whose outcome is unknown — the broker lost its answer, or the worker died before acknowledging —
may still be queued: its retry (same client_id) must be acknowledged as that very message (id, seq), which
storage then holds once, never as a second message storage drops as a repeat. A send refused before it
reached the broker is sent afresh."""

import pytest
from channels.db import database_sync_to_async

from core.redis import get_async_redis
from messaging.delivery import broker, journal, publisher
from messaging.delivery.journal import get_journal, idem_key
from messaging.delivery.publisher import broker_publish_batch
from messaging.events import new_message_payload, sender_payload
from messaging.models import Message
from tests.messaging.conftest import publish_to
from tests.messaging.test_socket_events import send_and_ack, send_frame, wait_stored

pytestmark = pytest.mark.django_db(transaction=True)


async def stored_copies(client_id: str) -> list[tuple[str, int]]:
    rows = Message.objects.filter(client_id=client_id).values_list("id", "seq")
    return [(str(message_id), seq) async for message_id, seq in rows]


async def test_a_send_whose_confirm_was_lost_is_retried_as_the_message_the_broker_has(
    connect, ada, bob, team, relay, sends_through_relay, persistence_worker, monkeypatch
):
    monkeypatch.setattr(broker, "CONFIRM_TIMEOUT_SECONDS", 1)
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    before = await send_and_ack(ada_tab, team.pk, "before")
    await bob_tab.receive_type("message.new")

    # when: the broker queues ada's next message but its confirm never reaches the worker
    relay.silence(replies_only=True)
    frame = send_frame(team.pk, "confirm lost")
    await ada_tab.send(frame)
    assert (await ada_tab.ack_for(frame["client_id"]))["code"] == "unavailable"
    # and her client retries it
    await ada_tab.send(frame)
    acked = (await ada_tab.ack_for(frame["client_id"]))["message"]

    # then: what she was told is what is stored, once, at the seq after her previous message
    await wait_stored(acked["id"])
    assert await stored_copies(frame["client_id"]) == [(acked["id"], before["seq"] + 1)]
    assert acked["seq"] == before["seq"] + 1
    # and bob got it once, with that id, in order
    heard = await bob_tab.receive_type("message.new")
    assert (heard["message"]["id"], heard["message"]["seq"]) == (acked["id"], acked["seq"])
    await send_and_ack(ada_tab, team.pk, "after")
    assert (await bob_tab.receive_type("message.new"))["message"]["body"] == "after"


async def test_a_send_whose_worker_died_before_acknowledging_is_retried_as_that_message(
    connect, ada, bob, team, persistence_worker, monkeypatch
):
    # given: bob is reading (connected before the message is queued: had storage held it first, he would have
    # had it from storage, and its broadcast would rightly be nothing new to his socket)
    bob_tab = await connect(bob)
    # and a worker reserved a message of ada's and queued it, then died without acknowledging it
    monkeypatch.setattr(journal, "PENDING_SECONDS", 0)  # its hold on the client_id is over at once
    frame = send_frame(team.pk, "orphaned")
    reservation = await get_journal().reserve(
        sender_id=ada.pk, client_id=frame["client_id"], conversation_id=team.pk
    )
    assert reservation.attempt is not None
    queued = new_message_payload(
        sender=await database_sync_to_async(sender_payload)(ada),
        conversation_id=team.pk,
        seq=reservation.attempt.seq,
        message_id=reservation.attempt.message_id,
        body=frame["body"],
        client_id=frame["client_id"],
    )
    await broker_publish_batch([queued])

    # when: ada's client, reconnected, retries it
    ada_tab = await connect(ada)
    await ada_tab.send(frame)
    acked = (await ada_tab.ack_for(frame["client_id"]))["message"]

    # then: the acknowledgement is the message that was queued, stored once; bob hears of it
    assert (acked["id"], acked["seq"], acked["created_at"]) == (
        queued["id"],
        queued["seq"],
        queued["created_at"],
    )
    await wait_stored(acked["id"])
    assert await stored_copies(frame["client_id"]) == [(acked["id"], acked["seq"])]
    assert (await bob_tab.receive_type("message.new"))["message"]["id"] == acked["id"]


async def test_a_send_refused_before_reaching_the_broker_is_sent_afresh(
    connect, ada, bob, team, persistence_worker, monkeypatch
):
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    before = await send_and_ack(ada_tab, team.pk, "before")
    await bob_tab.receive_type("message.new")
    reachable = publisher._brokers

    # when: the broker cannot be reached, and then can
    unreachable = publish_to(monkeypatch, "amqp://guest:guest@127.0.0.1:1//")
    frame = send_frame(team.pk, "retried")
    await ada_tab.send(frame)
    assert (await ada_tab.ack_for(frame["client_id"]))["code"] == "unavailable"
    monkeypatch.setattr(publisher, "_brokers", reachable)
    await ada_tab.send(frame)
    acked = (await ada_tab.ack_for(frame["client_id"]))["message"]

    # then: the retry is a new send (the refused one's seq was given up), stored once; bob gets it once
    assert acked["seq"] == before["seq"] + 2
    await wait_stored(acked["id"])
    assert await stored_copies(frame["client_id"]) == [(acked["id"], acked["seq"])]
    assert (await bob_tab.receive_type("message.new"))["message"]["id"] == acked["id"]
    assert await bob_tab.nothing_more()
    await unreachable.get().close()


async def test_a_send_a_worker_of_the_previous_release_has_in_flight_is_in_flight_for_this_one(ada, team):
    """During a rolling deploy, a retry can reach a new worker while an old one (whose pending record was
    "pending" alone) still sends the message: it must wait, not become a second message."""
    client_id = send_frame(team.pk)["client_id"]
    await get_async_redis().set(idem_key(team.pk, ada.pk, client_id), "pending", ex=17)

    reservation = await get_journal().reserve(sender_id=ada.pk, client_id=client_id, conversation_id=team.pk)

    assert (reservation.attempt, reservation.existing) == (None, None)
