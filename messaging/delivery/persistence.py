"""The persistence task's message: what the send path queues so that Celery stores a batch of acknowledged
messages (messaging.tasks.persist_messages_task runs it; messaging.services stores them).

The web workers' publisher sends it on the event loop (messaging.delivery.broker) and logs it once the broker
has confirmed it. Embedded mode runs the task in place through Celery's eager mode. Each message's "trace"
(added by the send path to its copy) moves into the task's headers, and its "connection" (the sending socket)
into the batch's log line only: neither reaches a stored row."""

import functools
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from celery import current_app
from celery.app.amqp import AMQP
from django.conf import settings
from kombu import Queue
from kombu.utils.uuid import uuid

from core import logcontext, metrics
from messaging.delivery.broker import TaskMessage

logger = logging.getLogger(__name__)

PERSIST_MESSAGES_TASK = "messaging.persist_messages"

Batch = list[dict[str, Any]]  # message payloads, each with its send's "trace" and "connection" until queued


def persistence_task_message(messages: Batch) -> TaskMessage:
    """The task Celery would send for a batch, for the event loop's publisher."""
    options = _task_options(messages, _pop_traces(messages))
    headers, properties, body, _ = _amqp().as_task_v2(
        uuid(), PERSIST_MESSAGES_TASK, args=(messages,), argsrepr=options["argsrepr"]
    )
    headers.update(options["headers"])
    return TaskMessage(queue=persistence_queue(), headers=headers, properties=properties, body=body)


@functools.cache
def _amqp() -> AMQP:
    """The app's message builder, looked up once: `current_app.amqp` takes two locks on every access
    (kombu's cached_property), ~2 % of a web worker's time when looked up per batch (py-spy)."""
    return current_app.amqp


@functools.cache
def persistence_queue() -> Queue:
    """Where the task goes (CELERY_TASK_ROUTES), routed once: the route never changes in a process."""
    queue: Queue = _amqp().router.route({}, PERSIST_MESSAGES_TASK, args=([],))["queue"]
    return queue


def pop_connections(messages: Batch) -> list[str | None]:
    """The socket each message was sent from (None for the REST API and webhooks), taken out of the copies
    before they are queued: Celery has no use for it; the batch's log line has."""
    return [m.pop("connection", None) for m in messages]


def log_persistence_queued(messages: Batch, task: TaskMessage, connections: list[str | None]) -> None:
    _log_queued(messages, task.headers[logcontext.TRACES_HEADER], connections)


def store_in_place(messages: Batch) -> None:
    """Embedded mode: Celery runs the task here and now, so the batch is stored before the send is acked."""
    connections, traces = pop_connections(messages), _pop_traces(messages)
    _persist_task().apply_async(args=(messages,), retry=False, **_task_options(messages, traces))
    _log_queued(messages, traces, connections)


def dead_letter(messages: Sequence[Mapping[str, Any]]) -> None:
    """Park messages that can never be stored on the dead-letter queue, where no worker consumes them, for an
    operator to re-queue (docs/operations.md). Called from a persistence task: its traces come along, and its
    task id, which the status page lists and the task's log lines carry."""
    traces = logcontext.get("traces") or {}
    kept = {m["id"]: traces[m["id"]] for m in messages if m["id"] in traces}
    _persist_task().apply_async(
        args=(messages,),
        task_id=logcontext.get("task_id"),  # None outside a task: a new id
        queue=settings.CELERY_DEAD_LETTER_QUEUE,
        retry=False,
        **_task_options(messages, kept),
    )
    metrics.DEAD_LETTERED.labels("unstorable").inc(len(messages))


def _persist_task() -> Any:
    """The task by name (messaging.tasks registers it when the messaging app is ready)."""
    return current_app.tasks[PERSIST_MESSAGES_TASK]


def _task_options(messages: Sequence[Mapping[str, Any]], traces: dict[str, str]) -> dict[str, Any]:
    """The traces travel in a header; Celery logs `argsrepr` instead of the arguments (no message bodies)."""
    return {"headers": {logcontext.TRACES_HEADER: traces}, "argsrepr": f"(<{len(messages)} messages>,)"}


def _pop_traces(messages: Batch) -> dict[str, str]:
    return {m["id"]: trace for m in messages if (trace := m.pop("trace", None))}


def _log_queued(messages: Batch, traces: dict[str, str], connections: list[str | None]) -> None:
    """The one line per batch that says its messages are durable: which (`message_ids`), from which send
    (`traces`) and from which socket (`connection_ids`), each list in the same order."""
    message_ids = [m["id"] for m in messages]
    logger.info(
        "persistence batch queued",
        extra={
            "batch_size": len(messages),
            "message_ids": message_ids,
            "traces": [traces.get(message_id) for message_id in message_ids],
            "connection_ids": connections,
        },
    )
