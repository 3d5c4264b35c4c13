"""Persistence of sent messages: a batch per task, idempotent, retried, dead-lettered when hopeless."""

import logging
from typing import Any

from celery import shared_task
from celery.exceptions import MaxRetriesExceededError, Reject
from django.conf import settings
from django.db import DatabaseError

from messaging import services

logger = logging.getLogger(__name__)

MAX_RETRIES = 8


# Reconnect to a restarted broker at once, but never keep a sender waiting long for a broker that is down.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def publish_persistence_batch(messages: list[dict[str, Any]]) -> None:
    """Publish one task for a batch; returns after the broker confirmed it (confirm_publish)."""
    persist_messages_task.apply_async(args=(messages,), retry=True, retry_policy=PUBLISH_RETRY_POLICY)


@shared_task(
    bind=True,
    name="messaging.persist_messages",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
)
def persist_messages_task(self: Any, messages: list[dict[str, Any]]) -> int:
    """Store a batch of acknowledged messages; a repeated batch writes nothing new."""
    try:
        stored, unstorable = services.messages_store(messages=messages)
    except DatabaseError as error:
        try:
            raise self.retry(exc=error, countdown=min(2**self.request.retries, 60))
        except MaxRetriesExceededError:
            logger.error("dead-lettering %d messages after %d retries: %r", len(messages), MAX_RETRIES, error)
            raise Reject(str(error), requeue=False) from error
    if unstorable:
        logger.error(
            "dead-lettering %d unstorable messages: %s", len(unstorable), [m["id"] for m in unstorable]
        )
        dead_letter_messages(unstorable)
    return stored


def dead_letter_messages(messages: list[dict[str, Any]]) -> None:
    """Park messages on the dead-letter queue, where no worker consumes them, for an operator to re-queue."""
    persist_messages_task.apply_async(args=(messages,), queue=settings.CELERY_DEAD_LETTER_QUEUE, retry=False)
