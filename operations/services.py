"""What an operator does (docs/operations.md): move dead-lettered persistence tasks back to their queue once
the cause is fixed."""

import logging
from typing import Any

from django.conf import settings
from kombu import Producer, Queue
from kombu.message import Message as AmqpMessage

from core import metrics
from operations.broker import PERSISTENCE_QUEUE, broker_connection

logger = logging.getLogger(__name__)

# Headers RabbitMQ adds when it dead-letters; a re-queued task starts afresh without them.
_DEATH_HEADERS = frozenset(
    f"x-{which}-death-{what}" for which in ("first", "last") for what in ("exchange", "queue", "reason")
) | {"x-death"}


def dead_letters_requeue(*, limit: int | None = None) -> int:
    """Move dead-lettered persistence tasks back to the persistence queue, each acknowledged on the
    dead-letter queue only after the broker confirmed its copy. Returns how many tasks moved. Reads at most
    as many as were there at the start, so a task that fails again at once is not moved twice in one call."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return 0
    moved = 0
    with broker_connection() as connection:
        channel = connection.default_channel  # publisher confirms: the broker transport options ask for them
        dead = Queue(settings.CELERY_DEAD_LETTER_QUEUE, durable=True).bind(channel)
        try:
            declared: Any = dead.queue_declare(passive=True)
            waiting = declared.message_count
        except connection.channel_errors:
            return 0
        producer = Producer(channel)
        for _ in range(waiting if limit is None else min(limit, waiting)):
            message = dead.get(no_ack=False, accept=["json"])
            if message is None:
                break
            _republish(producer, message)
            message.ack()
            moved += 1
    metrics.DEAD_LETTERS_REQUEUED.inc(moved)
    logger.info("re-queued %d dead-lettered persistence tasks", moved, extra={"requeued": moved})
    return moved


def _republish(producer: Producer, message: AmqpMessage) -> None:
    headers: dict[str, Any] = {k: v for k, v in (message.headers or {}).items() if k not in _DEATH_HEADERS}
    headers.update(retries=0, eta=None)  # a full retry budget after the fix
    properties = message.properties or {}
    producer.publish(
        message.body,
        exchange="",
        routing_key=PERSISTENCE_QUEUE,
        headers=headers,
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        delivery_mode=2,
        correlation_id=properties.get("correlation_id"),
        retry=False,
    )
