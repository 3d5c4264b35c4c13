"""Publish messages to the persistence queue, many per broker confirm.

A confirm round trip costs ~0.6 ms, and every persistence task costs Celery ~3 ms of CPU whatever its size,
so one task per message would spend the machine on Celery. Instead, each event loop publishes whatever
accumulated while the previous confirm was awaited, as one task. At low load a batch is one message,
published at once. Once messages arrive at PERSISTENCE_BATCH_ABOVE_PER_SECOND or more, a loop publishes at
most one task per PERSISTENCE_BATCH_INTERVAL_MS: a message waits up to the interval and batches grow
(docs/benchmarks.md measured the trade). The batching and its pacing are messaging.delivery.coalesce's,
with a wait limit added. The publish itself runs on the loop (messaging.delivery.broker);
embedded mode has no broker and stores the batch in a thread."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from celery import current_app
from channels.db import database_sync_to_async
from django.conf import settings

from core.per_loop import PerLoop
from messaging.delivery.broker import QUEUE_WAIT_LIMIT_SECONDS, BrokerPublisher, NotPublished, aiormq_url
from messaging.delivery.coalesce import Coalescer, Pending, settle
from messaging.delivery.persistence import (
    log_persistence_queued,
    persistence_queue,
    persistence_task_message,
    pop_connections,
    store_in_place,
)

logger = logging.getLogger(__name__)

MAX_BATCH = 500

PublishBatch = Callable[[list[dict[str, Any]]], Awaitable[None]]


class WaitedTooLong(NotPublished):
    """The broker was too slow with the batches before this message's: it was never published."""


class BatchPublisher(Coalescer[dict[str, Any], None]):
    def __init__(
        self,
        publish_batch: PublishBatch,
        *,
        min_interval: float = 0,
        busy_rate: float = 0,
        wait_limit: float | None = None,
    ) -> None:
        """`min_interval`: while messages arrive at `busy_rate` per second or more, publish at most one task
        per interval, so that batches grow; below that rate, publish at once. `wait_limit`: a message that
        waited longer for its turn (the broker is slow or down) fails unpublished, so that no send outlasts
        its pending client_id (messaging.delivery.broker.LONGEST_SEND_SECONDS)."""
        super().__init__(self._publish, max_batch=MAX_BATCH, min_interval=min_interval, busy_rate=busy_rate)
        self._publish_batch = publish_batch
        self._wait_limit = wait_limit

    async def publish(self, message: dict[str, Any]) -> None:
        """Return once the broker has confirmed the message; raise if it could not."""
        await self.submit(message)

    def _admit(self, batch: list[Pending[dict[str, Any], None]]) -> list[Pending[dict[str, Any], None]]:
        if self._wait_limit is None:
            return batch
        in_time = []
        for pending in batch:
            waited = self._last_batch - pending.at
            if waited > self._wait_limit:
                settle(pending, WaitedTooLong(f"not published: waited {waited:.1f} s for the broker"))
            else:
                in_time.append(pending)
        return in_time

    async def _publish(self, messages: list[dict[str, Any]]) -> list[None]:
        try:
            await self._publish_batch(messages)
        except Exception as error:  # the broker refused or is unreachable: every sender hears of it
            logger.warning("persistence publish failed for %d messages: %r", len(messages), error)
            raise
        return [None] * len(messages)


def _new_broker() -> BrokerPublisher:
    """Full-stack mode: one broker connection per event loop."""
    with current_app.connection_for_write() as kombu_connection:  # parses CELERY_BROKER_URL; opens nothing
        broker_url = kombu_connection.info()  # with kombu's defaults filled in (port, guest, "/")
    url = aiormq_url(
        hostname=broker_url["hostname"],
        port=broker_url["port"],
        userid=broker_url["userid"],
        password=broker_url["password"],
        virtual_host=broker_url["virtual_host"],
        ssl=bool(broker_url["ssl"]),
    )
    return BrokerPublisher(url)


_brokers = PerLoop(_new_broker)


async def broker_publish_batch(messages: list[dict[str, Any]]) -> None:
    connections = pop_connections(messages)
    task = persistence_task_message(messages)
    await _brokers.get().publish(task)
    log_persistence_queued(messages, task, connections)


async def waiting_for_storage() -> int:
    """How many persistence tasks wait in the broker for a Celery worker (0 in embedded mode, which stores
    each message before acknowledging it)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return 0
    return await _brokers.get().waiting_in(persistence_queue())


def eager_publish_batch() -> PublishBatch:
    """Embedded mode: Celery runs the task in place, so the batch is stored before the send is acked."""
    return database_sync_to_async(store_in_place)


def publisher_for_running_loop() -> BatchPublisher:
    return _publishers.get()


def _new_publisher() -> BatchPublisher:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return BatchPublisher(eager_publish_batch())
    return BatchPublisher(
        broker_publish_batch,
        min_interval=settings.PERSISTENCE_BATCH_INTERVAL_MS / 1000,
        busy_rate=settings.PERSISTENCE_BATCH_ABOVE_PER_SECOND,
        wait_limit=QUEUE_WAIT_LIMIT_SECONDS,
    )


_publishers = PerLoop(_new_publisher)
