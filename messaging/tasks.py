"""Persistence of sent messages: a batch per task, idempotent, retried, dead-lettered when hopeless."""

import logging
from typing import Any

from celery import current_app, shared_task
from celery.exceptions import MaxRetriesExceededError, Reject
from django.conf import settings
from django.db import DatabaseError
from kombu.utils.uuid import uuid

from chatproject import logcontext, metrics
from messaging import services
from messaging.delivery.broker import TaskMessage

logger = logging.getLogger(__name__)

MAX_RETRIES = 8


def publish_persistence_batch(messages: list[dict[str, Any]]) -> None:
    """Publish one task for a batch through Celery's producer (embedded mode runs it here and now).
    Each message's "trace" (added by message_send to its copy) moves to the task's headers."""
    traces = _pop_traces(messages)
    persist_messages_task.apply_async(args=(messages,), retry=False, **_options(messages, traces))
    _log_queued(messages, traces)


def persistence_task_message(messages: list[dict[str, Any]]) -> TaskMessage:
    """The task publish_persistence_batch would send, for the web workers' asyncio publisher
    (messaging.delivery.broker), which logs it once the broker confirmed it (log_persistence_queued)."""
    traces = _pop_traces(messages)
    options = _options(messages, traces)
    headers, properties, body, _ = current_app.amqp.as_task_v2(
        uuid(), persist_messages_task.name, args=(messages,), argsrepr=options["argsrepr"]
    )
    headers.update(options["headers"])
    route = current_app.amqp.router.route({}, persist_messages_task.name, args=(messages,))
    return TaskMessage(queue=route["queue"], headers=headers, properties=properties, body=body)


def log_persistence_queued(messages: list[dict[str, Any]], task: TaskMessage) -> None:
    _log_queued(messages, task.headers[logcontext.TRACES_HEADER])


def _options(messages: list[dict[str, Any]], traces: dict[str, str]) -> dict[str, Any]:
    """The traces travel in a header; Celery logs `argsrepr` instead of the arguments (no message bodies)."""
    return {"headers": {logcontext.TRACES_HEADER: traces}, "argsrepr": f"(<{len(messages)} messages>,)"}


def _pop_traces(messages: list[dict[str, Any]]) -> dict[str, str]:
    return {m["id"]: trace for m in messages if (trace := m.pop("trace", None))}


def _log_queued(messages: list[dict[str, Any]], traces: dict[str, str]) -> None:
    logger.info(
        "persistence batch queued",
        extra={
            "batch_size": len(messages),
            "message_ids": [m["id"] for m in messages],
            "traces": list(traces.values()),
        },
    )


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
