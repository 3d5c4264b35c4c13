"""The web workers' asyncio publisher (messaging.delivery.broker) against the real RabbitMQ: what it queues is
an ordinary Celery task, a connection the broker dropped is reopened without failing a send, and a failure
says whether the broker may have the task."""

import asyncio
import subprocess
import uuid
from datetime import timedelta

import pytest
from django.conf import settings

from core import logcontext
from messaging.delivery import broker
from messaging.delivery.broker import CLIENT_PROPERTIES, LONGEST_SEND_SECONDS, BrokerPublisher, NotPublished
from messaging.delivery.persistence import persistence_task_message
from messaging.delivery.publisher import broker_publish_batch
from messaging.models import Message
from tests.conftest import queued_for_persistence, take_queued_task, wait_until
from tests.messaging.factories import acknowledged_payload
from tests.messaging.relay import broker_url

pytestmark = pytest.mark.django_db(transaction=True)
NOW = timedelta(0)


def close_our_broker_connections() -> int:
    """What a broker restart or a network cut does to the publisher's connection (and only to it)."""
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_connections", "pid", "client_properties"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    name = '"{}"'.format(str(CLIENT_PROPERTIES["connection_name"]))  # quoted: worker 42 is not worker 421
    ours = [line.split("\t")[0] for line in listed.splitlines() if name in line]
    for pid in ours:
        subprocess.run(["rabbitmqctl", "-q", "close_connection", pid, "test"], check=True, timeout=60)
    return len(ours)


async def test_a_batch_is_queued_as_the_celery_task_it_would_have_been(ada, team):
    # given: two acknowledged messages, one carrying its send's trace and socket
    first, second = (
        acknowledged_payload(team, ada, seq=1, age=NOW),
        acknowledged_payload(team, ada, seq=2, age=NOW),
    )
    # when
    await broker_publish_batch([{**first, "trace": "trace-1", "connection": "socket-1"}, second])

    # then: a persistent Celery task on the persistence queue, traces in a header, no body in its repr, and
    # the messages as they are stored (no trace, no socket)
    task = take_queued_task("persistence")
    assert task.headers["task"] == "messaging.persist_messages"
    assert task.headers[logcontext.TRACES_HEADER] == {first["id"]: "trace-1"}
    assert task.headers["argsrepr"] == "(<2 messages>,)"
    assert task.properties["delivery_mode"] == 2
    args, kwargs, _ = task.decode()
    assert args == [[first, second]]
    assert kwargs == {}


def test_the_worker_stores_what_the_event_loop_published(ada, team, persistence_worker):
    message = acknowledged_payload(team, ada, seq=1, age=NOW)

    asyncio.run(broker_publish_batch([message]))

    wait_until(lambda: Message.objects.exists(), "the worker to store the message")
    assert queued_for_persistence() == 0
    assert list(Message.objects.values_list("id", flat=True)) == [uuid.UUID(message["id"])]


async def test_a_connection_the_broker_dropped_is_reopened_for_the_next_publish(ada, team):
    publisher = BrokerPublisher(settings.CELERY_BROKER_URL)  # this test slot's vhost, as aiormq reads it
    await publisher.publish(persistence_task_message([acknowledged_payload(team, ada, seq=1, age=NOW)]))

    # when: the broker closes the connection between two sends
    assert await asyncio.to_thread(close_our_broker_connections) >= 1
    await publisher.publish(persistence_task_message([acknowledged_payload(team, ada, seq=2, age=NOW)]))

    # then: both are queued
    assert queued_for_persistence() == 2
    await publisher.close()


async def test_an_unreachable_broker_fails_the_publish_quickly_and_certainly_unpublished():
    publisher = BrokerPublisher("amqp://guest:guest@127.0.0.1:1//")
    task = persistence_task_message([])
    with pytest.raises(NotPublished, match="Connect call failed"):
        async with asyncio.timeout(10):
            await publisher.publish(task)


async def test_a_broker_that_accepts_but_never_answers_is_not_tried_twice():
    """A hung broker (the TCP handshake works, AMQP never starts): the publish fails after the connect
    timeout, without a second attempt that would keep the sender waiting past its client_id's pending time."""
    connections = 0

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.read()  # until the publisher gives up and closes
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    publisher = BrokerPublisher(f"amqp://guest:guest@127.0.0.1:{port}//")
    with pytest.raises(NotPublished, match="TimeoutError"):
        await publisher.publish(persistence_task_message([]))
    assert connections == 1
    server.close()
    await server.wait_closed()


async def test_a_broker_gone_silent_fails_the_publish_in_time_and_the_next_one_gets_a_new_connection(
    ada, team, relay
):
    """Closing a connection waits for the broker to read what is buffered, which a silent broker never
    does: the publish must still fail within a send's longest wait, and the next one not wait behind it."""
    publisher = BrokerPublisher(str(broker_url().with_port(relay.port)))
    await publisher.publish(persistence_task_message([acknowledged_payload(team, ada, seq=1, age=NOW)]))

    # when: the connection goes silent under a batch too large for the buffers between them
    relay.silence()
    large = [
        {**acknowledged_payload(team, ada, seq=seq, age=NOW), "body": "x" * 60_000} for seq in range(2, 80)
    ]
    publishing = asyncio.ensure_future(publisher.publish(persistence_task_message(large)))
    await asyncio.wait([publishing], timeout=LONGEST_SEND_SECONDS)

    # then: the sender has its failure, and the next publish is queued through a connection of its own
    assert publishing.done(), "the publish still waits for the silent broker"
    assert isinstance(publishing.exception(), TimeoutError)
    async with asyncio.timeout(LONGEST_SEND_SECONDS):
        await publisher.publish(persistence_task_message([acknowledged_payload(team, ada, seq=80, age=NOW)]))
    assert queued_for_persistence() == 2
    await publisher.close()


async def test_a_publish_whose_confirm_was_lost_fails_without_claiming_it_is_unqueued(
    ada, team, relay, monkeypatch
):
    monkeypatch.setattr(broker, "CONFIRM_TIMEOUT_SECONDS", 1)
    publisher = BrokerPublisher(str(broker_url().with_port(relay.port)))
    await publisher.publish(persistence_task_message([acknowledged_payload(team, ada, seq=1, age=NOW)]))

    # when: the broker's answers stop coming while what is sent still reaches it
    relay.silence(replies_only=True)
    with pytest.raises(TimeoutError) as failure:
        await publisher.publish(persistence_task_message([acknowledged_payload(team, ada, seq=2, age=NOW)]))

    # then: the task is queued though its publish failed, and the failure does not say it is not
    assert not isinstance(failure.value, NotPublished)
    assert queued_for_persistence() == 2
    await publisher.close()
