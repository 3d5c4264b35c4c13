"""What an operator looks at and does (docs/operations.md): queue depths read from RabbitMQ with passive
declares, the dead-letter queue listed and re-queued, and the figures of the staff status page."""

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from kombu import Connection, Producer, Queue
from kombu.message import Message as AmqpMessage

from chatproject import metrics
from chatproject.celery import app as celery_app
from messaging.models import Message
from messaging.presence import presence_store

logger = logging.getLogger(__name__)

PERSISTENCE_QUEUE = "persistence"
PUSH_QUEUE = "push"
BROKER_TIMEOUT_SECONDS = 2
# Headers RabbitMQ adds when it dead-letters; a re-queued task starts afresh without them.
_DEATH_HEADERS = frozenset(
    f"x-{which}-death-{what}" for which in ("first", "last") for what in ("exchange", "queue", "reason")
) | {"x-death"}


def watched_queues() -> list[str]:
    return [PERSISTENCE_QUEUE, PUSH_QUEUE, settings.CELERY_DEAD_LETTER_QUEUE]


def queue_depths() -> dict[str, int | None]:
    """{queue: messages ready in it} by passive declare (no management plugin needed); None for a queue that
    does not exist yet. Raises if the broker cannot be reached; {} in embedded mode (no broker)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {}
    depths: dict[str, int | None] = {}
    with _connection() as connection:
        for name in watched_queues():
            channel: Any = connection.channel()  # a failed passive declare closes its channel
            try:
                depths[name] = channel.queue_declare(queue=name, passive=True).message_count
            except connection.channel_errors:
                depths[name] = None
            finally:
                if channel.is_open:
                    channel.close()
    return depths


def _connection() -> Connection:
    connection = celery_app.connection_for_write()
    connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    return connection


# --- The dead-letter queue


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered persistence task, described without message bodies."""

    task_id: str
    message_ids: list[str]
    conversations: list[int]
    oldest_created_at: str | None
    reason: str
    dead_lettered_at: datetime | None
    retries: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def dead_letters_list(*, limit: int = 20) -> list[DeadLetter]:
    """The first `limit` tasks on the dead-letter queue. They are read without being acknowledged and go back
    where they were when the channel closes."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return []
    found = []
    with _connection() as connection:
        channel: Any = connection.channel()
        queue = Queue(settings.CELERY_DEAD_LETTER_QUEUE, durable=True).bind(channel)
        try:
            for _ in range(limit):
                message = queue.get(no_ack=False, accept=["json"])
                if message is None:
                    break
                found.append(_describe(message))
        except connection.channel_errors:  # the queue does not exist yet: nothing was ever dead-lettered
            return []
        finally:
            if channel.is_open:
                channel.close()  # every unacknowledged message is returned to the queue
    return found


def dead_letters_requeue(*, limit: int | None = None) -> int:
    """Move dead-lettered persistence tasks back to the persistence queue, each acknowledged on the
    dead-letter queue only after the broker confirmed its copy. Returns how many tasks moved. Reads at most
    as many as were there at the start, so a task that fails again at once is not moved twice in one call."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return 0
    moved = 0
    with _connection() as connection:
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


def _describe(message: AmqpMessage) -> DeadLetter:
    headers: dict[str, Any] = message.headers or {}
    body = json.loads(message.body) if isinstance(message.body, bytes | str) else message.body
    batch = body[0][0] if body and body[0] else []
    deaths: list[dict[str, Any]] = headers.get("x-death") or []
    died_at = deaths[0].get("time") if deaths else None
    return DeadLetter(
        task_id=str(headers.get("id", "")),
        message_ids=[m["id"] for m in batch],
        conversations=sorted({m["conversation"] for m in batch}),
        oldest_created_at=min((m["created_at"] for m in batch), default=None),
        reason=deaths[0].get("reason", "rejected") if deaths else "unstorable",
        dead_lettered_at=died_at if isinstance(died_at, datetime) else None,
        retries=int(headers.get("retries") or 0),
    )


# --- The status page


@dataclass(frozen=True)
class Status:
    online_users: int | None
    messages_last_hour: int
    messages_last_5_minutes: int
    queue_depths: dict[str, int | None]
    broker_reachable: bool
    dead_letters: list[DeadLetter]


def status_get() -> Status:
    """The figures of the staff status page, each read live (Redis, the database, RabbitMQ)."""
    now = datetime.now(tz=UTC)
    recent = Message.objects.filter(created_at__gte=now - timedelta(hours=1))
    try:
        depths, dead, reachable = queue_depths(), dead_letters_list(), True
    except Exception:  # the broker is down: the page says so instead of failing
        logger.warning("status page: the broker is unreachable")
        depths, dead, reachable = {}, [], False
    return Status(
        online_users=_online_users(),
        messages_last_hour=recent.count(),
        messages_last_5_minutes=recent.filter(created_at__gte=now - timedelta(minutes=5)).count(),
        queue_depths=depths,
        broker_reachable=reachable or settings.CELERY_TASK_ALWAYS_EAGER,
        dead_letters=dead,
    )


def _online_users() -> int | None:
    try:
        return presence_store().online_count()
    except Exception:  # Redis is down
        logger.warning("status page: presence is unreadable")
        return None
