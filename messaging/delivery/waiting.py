"""Consumer-side batching: a running persistence task also stores the tasks waiting behind it.

Web workers publish one task per event loop and broker confirm (messaging.delivery.publisher): at low rates
one message each, and at W workers W times as many tasks. Celery spends ~2.8 ms of CPU per task whatever its
size (docs/benchmarks.md), so once tasks queue faster than the pool stores them, the backlog grows on
Celery's cost, not on PostgreSQL's. Here a task, before storing, takes what waits on the persistence queue
(basic.get, unacknowledged) and stores those messages with its own in one transaction. It acknowledges them
once stored, or gives them back to the queue (each is retried on its own) if the store failed. A pool
process that dies holding them leaves them unacknowledged, so RabbitMQ redelivers them, and storing is
idempotent. With nothing waiting, a task pays one basic.get.

Below the queue's capacity nothing waits, so each message was a task of its own; so a task first lets the
messages behind it gather: it waits until its oldest message is PERSISTENCE_GATHER_MS old (by the sender's
clock; never longer than the window, whatever the clocks say). A backlog's messages are older than that and
wait for nothing."""

import contextlib
import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from celery import current_app
from django.conf import settings
from kombu import Connection, Message

from core import logcontext
from messaging.delivery.persistence import PERSIST_MESSAGES_TASK, persistence_queue
from messaging.events import MessagePayload

logger = logging.getLogger(__name__)

MAX_MESSAGES = 500  # one transaction's worth, as the publisher's MAX_BATCH
# After a batch was given back, this process takes none for a while: while the database refuses writes, tasks
# would otherwise hand each other's messages back and forth.
PAUSE_AFTER_GIVING_BACK_SECONDS = 10.0


@dataclass
class Waiting:
    """Tasks taken off the queue, unacknowledged: their messages and those messages' traces."""

    messages: list[MessagePayload] = field(default_factory=list)
    traces: dict[str, str] = field(default_factory=dict)
    taken: list[Message] = field(default_factory=list)

    def acknowledge(self) -> None:
        """Their messages are stored: remove the tasks from the queue, with one ack for all (this channel
        holds no other unacknowledged message)."""
        self._settle(lambda: self.taken[-1].ack(multiple=True))

    def give_back(self) -> None:
        """Their messages were not stored: back to the queue, each to run as its own task."""
        self._settle(self._reject_each)
        _taker.pause(PAUSE_AFTER_GIVING_BACK_SECONDS)

    def _reject_each(self) -> None:
        for message in self.taken:
            message.reject(requeue=True)

    def _settle(self, settle: Callable[[], None]) -> None:
        # A connection lost meanwhile has already given them back (a stored batch comes again: idempotent).
        if self.taken:
            with contextlib.suppress(*_broker_errors()):
                settle()
        self.taken = []


def let_more_gather(messages: list[MessagePayload]) -> None:
    """Wait until the oldest of `messages` is PERSISTENCE_GATHER_MS old, so that the tasks published meanwhile
    are taken with them."""
    window = settings.PERSISTENCE_GATHER_MS / 1000
    if window <= 0 or not messages:
        return
    oldest = min(datetime.fromisoformat(m["created_at"]) for m in messages)
    age = (datetime.now(tz=UTC) - oldest).total_seconds()
    time.sleep(min(max(window - age, 0.0), window))


def take_waiting(*, room: int) -> Waiting:
    """Persistence tasks waiting on the queue, whole, with at most `room` messages in all."""
    waiting = Waiting()
    if _taker.paused():
        return waiting
    try:
        queue = persistence_queue().bind(_taker.channel())
        while len(waiting.messages) < room:
            message = queue.get(no_ack=False, accept=["json"])
            if message is None:
                break
            messages = _persisted_messages(message)
            if messages is None or len(waiting.messages) + len(messages) > room:
                message.reject(requeue=True)  # another task's turn
                break
            waiting.taken.append(message)
            waiting.messages += messages
            waiting.traces.update(_traces_of(message))
    except _broker_errors() as error:
        logger.warning("could not take waiting persistence tasks: %r", error)
        _taker.forget()
    return waiting


def _persisted_messages(message: Message) -> list[MessagePayload] | None:
    """The messages of a persistence task (protocol 2: [args, kwargs, embed]), or None for anything else."""
    if message.headers.get("task") != PERSIST_MESSAGES_TASK:
        return None
    args, _kwargs, _embed = message.decode()
    messages: list[MessagePayload] = args[0]
    return messages


def _traces_of(message: Message) -> dict[str, str]:
    traces = message.headers.get(logcontext.TRACES_HEADER)
    return traces if isinstance(traces, dict) else {}


class _Taker(threading.local):
    """Each pool process's (or pool thread's) own connection for taking tasks, opened after the fork, and
    whether it takes any now. One task at a time uses it, so its channel holds only that task's messages."""

    def __init__(self) -> None:
        self.connection: Connection | None = None
        self.pid = 0
        self.resume_at = 0.0

    def pause(self, seconds: float) -> None:
        self.resume_at = time.monotonic() + seconds

    def paused(self) -> bool:
        return time.monotonic() < self.resume_at

    def channel(self) -> Any:
        if self.connection is None or self.pid != os.getpid():
            # No heartbeats: nothing would send them between tasks. A connection the broker dropped fails
            # its next basic.get and is opened again for the task after.
            self.connection, self.pid = current_app.connection_for_read(heartbeat=0), os.getpid()
        return self.connection.default_channel

    def forget(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(*_broker_errors()):
                self.connection.release()
        self.connection = None


@functools.cache
def _broker_errors() -> tuple[type[BaseException], ...]:
    transport = current_app.connection_for_read().transport
    return (*transport.connection_errors, *transport.channel_errors)


_taker = _Taker()
