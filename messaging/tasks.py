"""Celery entry points of messaging: persistence of sent messages, a batch per task, idempotent, retried with
backoff, dead-lettered when hopeless. The task's message is built by messaging.delivery.persistence."""

import logging
from typing import Any, NoReturn

from celery import shared_task
from celery.exceptions import Reject
from django.db import DatabaseError

from core import logcontext, metrics
from messaging import services
from messaging.delivery.persistence import PERSIST_MESSAGES_TASK, dead_letter
from messaging.delivery.waiting import MAX_MESSAGES, Waiting, let_more_gather, take_waiting
from messaging.events import MessagePayload
from messaging.services.storage import describe_error

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
    """Store a batch of acknowledged messages, with those of the tasks waiting behind it
    (messaging.delivery.waiting); a repeated batch writes nothing new."""
    if not self.request.is_eager:
        let_more_gather(messages)
        waiting = take_waiting(room=MAX_MESSAGES - len(messages))
        if waiting.taken:
            stored = _store_with_waiting(messages, waiting)
            if stored is not None:
                return stored
    try:
        return _store(messages, tasks=1)
    except DatabaseError as error:
        _retry_or_dead_letter(self, messages, error)


def _store_with_waiting(messages: list[MessagePayload], waiting: Waiting) -> int | None:
    """Store this task's messages and the waiting tasks' in one transaction; None if the database refused
    them: the waiting tasks go back to the queue, each retried on its own, so that one message the database
    refuses cannot take others' retries with it."""
    try:
        with logcontext.bound(traces={**(logcontext.get("traces") or {}), **waiting.traces}):
            stored = _store(_unique(messages + waiting.messages), tasks=1 + len(waiting.taken))
    except DatabaseError as error:
        logger.warning(
            "storing %d waiting tasks with this one failed: %s", len(waiting.taken), describe_error(error)
        )
        waiting.give_back()
        return None
    except BaseException:
        waiting.give_back()
        raise
    waiting.acknowledge()
    return stored


class NotStored(DatabaseError):
    """A database error as Celery's retry line shows it: its description alone (describe_error)."""


def _retry_or_dead_letter(task: Any, messages: list[MessagePayload], error: DatabaseError) -> NoReturn:
    """Retry this task's own messages with backoff; past MAX_RETRIES, reject them to the dead-letter queue.
    Every line about it, Celery's own included, tells the error by describe_error: its repr and traceback
    can hold PostgreSQL's DETAIL line, a row with a message's words."""
    reason = describe_error(error)
    if task.request.retries >= MAX_RETRIES:
        logger.error(
            "dead-lettering %d messages after %d retries: %s",
            len(messages),
            MAX_RETRIES,
            reason,
            extra={"message_ids": [m["id"] for m in messages]},
        )
        metrics.DEAD_LETTERED.labels("retries_exhausted").inc(len(messages))
        raise Reject(reason, requeue=False) from None  # (Celery's reject line prints its traceback)
    metrics.PERSISTENCE_RETRIES.inc()
    # Decided here, not by task.retry: past max_retries it raises `exc` itself, which acknowledged the task
    # (a failure, under acks_late): the batch was lost, not dead-lettered.
    raise task.retry(exc=NotStored(reason), countdown=min(2**task.request.retries, 60))


def _store(messages: list[MessagePayload], *, tasks: int) -> int:
    stored, unstorable, errors = services.messages_store(messages=messages)
    if unstorable:
        ids = [m["id"] for m in unstorable]
        logger.error(
            "dead-lettering %d unstorable messages: %s",
            len(unstorable),
            "; ".join(f"{message_id} ({errors.get(message_id)})" for message_id in ids),
            extra={"message_ids": ids, "errors": [errors.get(message_id) for message_id in ids]},
        )
        dead_letter(unstorable)  # under this task's id: the line above and the status page name the same
    unstorable_ids = {m["id"] for m in unstorable}
    metrics.observe_stored([m for m in messages if m["id"] not in unstorable_ids], stored=stored)
    traces = logcontext.get("traces") or {}
    logger.info(
        "persistence batch stored",
        extra={
            "batch_size": len(messages),
            "stored": stored,
            "tasks": tasks,
            "message_ids": [m["id"] for m in messages],
            "traces": [traces[m["id"]] for m in messages if m["id"] in traces],
        },
    )
    return stored


def _unique(messages: list[MessagePayload]) -> list[MessagePayload]:
    """One of each message (a task redelivered while another held its copy brings it twice)."""
    return list({m["id"]: m for m in messages}.values())


@shared_task(acks_late=True)
def purge_expired_messages_task() -> int:
    """The retention policy's periodic run (CELERY_BEAT_SCHEDULE), and the files only deleted messages still
    carry."""
    deleted = services.messages_purge_expired()
    logger.info("retention: deleted %d messages", deleted, extra={"deleted": deleted})
    released = services.deleted_messages_files_release()
    if released:
        logger.info("retention: deleted %d files of deleted messages", released, extra={"files": released})
    return deleted
