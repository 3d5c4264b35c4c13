"""Persistence of sent messages: a batch per task, idempotent, retried, dead-lettered when hopeless."""

import logging
from typing import Any

from celery import shared_task
from celery.exceptions import MaxRetriesExceededError, Reject
from django.conf import settings
from django.db import DatabaseError

from chatproject import logcontext, metrics
from messaging import services

logger = logging.getLogger(__name__)

MAX_RETRIES = 8


# Reconnect to a restarted broker at once, but never keep a sender waiting long for a broker that is down.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def publish_persistence_batch(messages: list[dict[str, Any]]) -> None:
    """Publish one task for a batch; returns after the broker confirmed it (confirm_publish).
    Each message's "trace" (added by message_send to its copy) moves to the task's headers."""
    traces = {m["id"]: trace for m in messages if (trace := m.pop("trace", None))}
    persist_messages_task.apply_async(
        args=(messages,), retry=True, retry_policy=PUBLISH_RETRY_POLICY, **_options(messages, traces)
    )
    logger.info(
        "persistence batch queued",
        extra={
            "batch_size": len(messages),
            "message_ids": [m["id"] for m in messages],
            "traces": list(traces.values()),
        },
    )


def _options(messages: list[dict[str, Any]], traces: dict[str, str]) -> dict[str, Any]:
    """The traces travel in a header; Celery logs `argsrepr` instead of the arguments (no message bodies)."""
    return {"headers": {logcontext.TRACES_HEADER: traces}, "argsrepr": f"(<{len(messages)} messages>,)"}


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
        dead_letter_messages(unstorable)
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


def dead_letter_messages(messages: list[dict[str, Any]]) -> None:
    """Park messages on the dead-letter queue, where no worker consumes them, for an operator to re-queue."""
    traces = logcontext.get("traces") or {}
    kept = {m["id"]: traces[m["id"]] for m in messages if m["id"] in traces}
    persist_messages_task.apply_async(
        args=(messages,), queue=settings.CELERY_DEAD_LETTER_QUEUE, retry=False, **_options(messages, kept)
    )
    metrics.DEAD_LETTERED.labels("unstorable").inc(len(messages))
