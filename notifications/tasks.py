"""Push notifications are sent here, by Celery workers on the "push" queue, never by socket workers."""

import logging
import random
from uuid import UUID

import redis
from celery import Task, shared_task
from django.conf import settings
from django.db import OperationalError

from core import logcontext, metrics
from notifications import services
from notifications.services import DeliveryOutcome

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY_SECONDS = 3600


@shared_task(
    autoretry_for=(OperationalError, redis.RedisError),
    retry_backoff=True,
    max_retries=5,
)
def send_messages_push_task(message_ids: list[str]) -> None:
    """Decide the pushes of a stored batch of messages (once per message, however often this runs) and fan
    out one task per delivery, so one slow or failing push service never holds up the others."""
    deliveries = services.messages_push_decide(message_ids=[UUID(message_id) for message_id in message_ids])
    for message_id, delivery_ids in deliveries.items():
        # Each delivery task carries the trace of its message's send in its headers.
        with logcontext.bound(trace=logcontext.trace_for(str(message_id))):
            for delivery_id in delivery_ids:
                deliver_push_task.delay(delivery_id)
    traces = logcontext.get("traces") or {}
    logger.info(
        "push decided",
        extra={
            "message_ids": message_ids,
            "traces": [traces[message_id] for message_id in message_ids if message_id in traces],
            "deliveries": sum(len(delivery_ids) for delivery_ids in deliveries.values()),
        },
    )


def _backoff(retries: int) -> int:
    delay = settings.PUSH_RETRY_BACKOFF_SECONDS * 2**retries
    return min(MAX_RETRY_DELAY_SECONDS, delay + random.randint(0, max(1, delay // 4)))  # noqa: S311


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def deliver_push_task(self: Task, delivery_id: int) -> None:
    """Send one push. 429, 5xx and network failures are tried again later (Retry-After, else exponential
    backoff) up to PUSH_MAX_RETRIES times; 404/410 remove the subscription; a sent push is never resent.

    A later try is a new task rather than `self.retry`, so in eager mode (embedded, tests) it runs in
    process without raising Retry into whoever queued the push; the delivery row counts the attempts."""
    attempt = services.push_delivery_send(delivery_id=delivery_id)
    metrics.PUSH_DELIVERIES.labels(attempt.outcome.value).inc()
    logger.info("push attempted", extra={"delivery_id": delivery_id, "outcome": attempt.outcome.value})
    if attempt.outcome == DeliveryOutcome.BUSY and not self.request.is_eager:
        # Another worker holds it (or died holding it): look again once its lease has run out.
        countdown = int(services.claim_lease().total_seconds())
        deliver_push_task.apply_async(args=(delivery_id,), countdown=countdown)
    if attempt.outcome != DeliveryOutcome.RETRY:
        return
    if attempt.attempts > settings.PUSH_MAX_RETRIES:
        services.push_delivery_give_up(delivery_id=delivery_id)
        metrics.PUSH_DELIVERIES.labels("gave_up").inc()
        return
    countdown = attempt.retry_after or _backoff(attempt.attempts - 1)
    deliver_push_task.apply_async(args=(delivery_id,), countdown=min(MAX_RETRY_DELAY_SECONDS, countdown))
