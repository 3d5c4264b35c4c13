"""How the web worker's publisher groups messages into persistence tasks (messaging.delivery.publisher): a
message is published at once when the worker is quiet, and under load the messages of one interval share a
task. The publish function here records batches; tests/messaging/test_broker.py covers the real broker."""

import asyncio

import pytest

from messaging.delivery.publisher import BatchPublisher, WaitedTooLong

INTERVAL = 0.5


def recording_publisher(*, busy_rate: float = 0) -> tuple[BatchPublisher, list[list[str]]]:
    batches: list[list[str]] = []

    async def publish_batch(messages: list[dict]) -> None:
        batches.append([m["id"] for m in messages])

    return BatchPublisher(publish_batch, min_interval=INTERVAL, busy_rate=busy_rate), batches


async def test_a_message_to_a_quiet_worker_is_published_at_once():
    publisher, batches = recording_publisher()
    loop = asyncio.get_running_loop()
    started = loop.time()

    await publisher.publish({"id": "first"})

    assert batches == [["first"]]
    assert loop.time() - started < INTERVAL  # it did not wait for an interval to pass


async def test_messages_arriving_within_an_interval_share_one_task():
    publisher, batches = recording_publisher()
    await publisher.publish({"id": "first"})

    # when: three more arrive right after it
    await asyncio.gather(*(publisher.publish({"id": name}) for name in ("a", "b", "c")))

    # then: each was confirmed, and they went out together, in arrival order
    assert batches == [["first"], ["a", "b", "c"]]


async def test_below_the_busy_rate_nothing_waits_for_the_interval():
    publisher, batches = recording_publisher(busy_rate=100)
    loop = asyncio.get_running_loop()
    started = loop.time()

    for name in ("a", "b", "c"):  # one after another, each confirmed before the next is sent
        await publisher.publish({"id": name})

    assert batches == [["a"], ["b"], ["c"]]
    assert loop.time() - started < INTERVAL


async def test_a_failed_publish_fails_every_send_of_its_batch_and_not_the_next():
    attempts: list[list[str]] = []

    async def publish_batch(messages: list[dict]) -> None:
        attempts.append([m["id"] for m in messages])
        if len(attempts) == 1:
            raise ConnectionError("broker down")

    publisher = BatchPublisher(publish_batch)
    outcomes = await asyncio.gather(
        *(publisher.publish({"id": name}) for name in ("a", "b")), return_exceptions=True
    )
    assert [type(outcome) for outcome in outcomes] == [ConnectionError, ConnectionError]

    await publisher.publish({"id": "c"})
    assert attempts == [["a", "b"], ["c"]]


async def test_a_message_that_waited_too_long_for_a_slow_broker_fails_without_being_published():
    published: list[list[str]] = []
    publishing = asyncio.Event()

    async def publish_batch(messages: list[dict]) -> None:
        published.append([m["id"] for m in messages])
        publishing.set()
        if len(published) == 1:
            await asyncio.sleep(0.2)  # a broker slower to confirm than the wait limit

    publisher = BatchPublisher(publish_batch, wait_limit=0.1)
    first = asyncio.create_task(publisher.publish({"id": "first"}))
    await publishing.wait()

    # when: a message queues behind the slow batch
    with pytest.raises(WaitedTooLong):
        await publisher.publish({"id": "behind"})

    # then: its sender was told, it never reached the broker, and later messages go through
    await first
    await publisher.publish({"id": "later"})
    assert published == [["first"], ["later"]]
