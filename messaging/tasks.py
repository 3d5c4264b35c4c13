"""Celery entry points of messaging: persistence of sent messages, a batch per task, idempotent, retried with
backoff, dead-lettered when hopeless. The task's message is built by messaging.delivery.persistence."""

import logging
from typing import Any

from celery import shared_task
from celery.exceptions import MaxRetriesExceededError, Reject
from django.db import DatabaseError

from core import logcontext, metrics
from messaging import services
from messaging.delivery.persistence import PERSIST_MESSAGES_TASK, dead_letter
from messaging.events import MessagePayload

logger = logging.getLogger(__name__)

MAX_RETRIES = 8


@shared_task(
    bind=True,
    name=PERSIST_MESSAGES_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
)
def persist_messages_task(self: Any, messages: list[MessagePayload]) -> int:
    """Store a batch of acknowledged messages; a repeated batch writes nothing new."""
    try:
        stored, unstorable = services.messages_store(messages=messages)
    except DatabaseError as error:
        try:
            if self.request.retries < MAX_RETRIES:
                metrics.PERSISTENCE_RETRIES.inc()
            raise self.retry(exc=error, countdown=min(2**self.request.retries, 60))
        except MaxRetriesExceededError:
            logger.error("dead-lettering %d messages after %d retries: %r", len(messages), MAX_RETRIES, error)
            metrics.DEAD_LETTERED.labels("retries_exhausted").inc(len(messages))
            raise Reject(str(error), requeue=False) from error
    if unstorable:
        logger.error(
            "dead-lettering %d unstorable messages: %s", len(unstorable), [m["id"] for m in unstorable]
        )
        dead_letter(unstorable)
    unstorable_ids = {m["id"] for m in unstorable}
    metrics.observe_stored([m for m in messages if m["id"] not in unstorable_ids], stored=stored)
    traces = logcontext.get("traces") or {}
    logger.info(
        "persistence batch stored",
        extra={
            "batch_size": len(messages),
            "stored": stored,
            "message_ids": [m["id"] for m in messages],
            "traces": [traces[m["id"]] for m in messages if m["id"] in traces],
        },
    )
    return stored


@shared_task(acks_late=True)
def purge_expired_messages_task() -> int:
    """The retention policy's periodic run (CELERY_BEAT_SCHEDULE)."""
    deleted = services.messages_purge_expired()
    logger.info("retention: deleted %d messages", deleted, extra={"deleted": deleted})
    return deleted
