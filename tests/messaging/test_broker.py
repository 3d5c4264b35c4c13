"""The web workers' asyncio publisher (messaging.delivery.broker) against the real RabbitMQ: what it queues is
an ordinary Celery task, and a connection the broker dropped is reopened without failing a send."""

import asyncio
import subprocess
import uuid
from datetime import timedelta

import pytest
from django.conf import settings

from core import logcontext
from messaging.delivery.broker import CLIENT_PROPERTIES, BrokerPublisher
from messaging.delivery.persistence import persistence_task_message
from messaging.delivery.publisher import broker_publish_batch
from messaging.models import Message
from tests.conftest import queued_for_persistence, take_queued_task, wait_until
from tests.messaging.factories import acknowledged_payload

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
    name = str(CLIENT_PROPERTIES["connection_name"])
    ours = [line.split("\t")[0] for line in listed.splitlines() if name in line]
    for pid in ours:
        subprocess.run(["rabbitmqctl", "-q", "close_connection", pid, "test"], check=True, timeout=60)
    return len(ours)


async def test_a_batch_is_queued_as_the_celery_task_it_would_have_been(ada, team):
    # given: two acknowledged messages, one carrying its send's trace
    first, second = (
        acknowledged_payload(team, ada, seq=1, age=NOW),
        acknowledged_payload(team, ada, seq=2, age=NOW),
    )
    # when
    await broker_publish_batch([{**first, "trace": "trace-1"}, second])

    # then: a persistent Celery task on the persistence queue, traces in a header, no body in its repr
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


async def test_an_unreachable_broker_fails_the_publish_quickly():
    publisher = BrokerPublisher("amqp://guest:guest@127.0.0.1:1//")
    task = persistence_task_message([])
    with pytest.raises(OSError, match="Connect call failed"):
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
    with pytest.raises(TimeoutError):
        await publisher.publish(persistence_task_message([]))
    assert connections == 1
    server.close()
    await server.wait_closed()
