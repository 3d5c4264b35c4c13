"""What an operator looks at (docs/operations.md): queue depths, the dead-letter queue's tasks described
without message bodies, and the figures of the staff status page, each read live."""

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from kombu import Queue
from kombu.message import Message as AmqpMessage

from messaging.selectors import messages_sent_since
from operations.broker import broker_connection, watched_queues
from realtime.presence import presence_store

logger = logging.getLogger(__name__)


def queue_depths() -> dict[str, int | None]:
    """{queue: messages ready in it} by passive declare; None for a queue that does not exist yet. Raises if
    the broker cannot be reached; {} in embedded mode (no broker)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {}
    depths: dict[str, int | None] = {}
    with broker_connection() as connection:
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
    with broker_connection() as connection:
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
    dead_letter_count: int | None  # None: unknown, RabbitMQ could not be reached


def status_get() -> Status:
    """The figures of the staff status page, each read live (Redis, the database, RabbitMQ)."""
    now = datetime.now(tz=UTC)
    try:
        depths, dead, reachable = queue_depths(), dead_letters_list(), True
    except Exception:  # the broker is down: the page says so instead of failing
        logger.warning("status page: the broker is unreachable")
        depths, dead, reachable = {}, [], False
    return Status(
        online_users=_online_users(),
        messages_last_hour=messages_sent_since(since=now - timedelta(hours=1)),
        messages_last_5_minutes=messages_sent_since(since=now - timedelta(minutes=5)),
        queue_depths=depths,
        broker_reachable=reachable or settings.CELERY_TASK_ALWAYS_EAGER,
        dead_letters=dead,
        # a dead-letter queue not declared yet (or none, in embedded mode) holds nothing
        dead_letter_count=(depths.get(settings.CELERY_DEAD_LETTER_QUEUE) or 0) if reachable else None,
    )


def _online_users() -> int | None:
    try:
        return presence_store().online_count()
    except Exception:  # Redis is down
        logger.warning("status page: presence is unreadable")
        return None
