"""Publish messages to the persistence queue, many per broker confirm.

A confirm round trip costs ~0.6 ms, so one publish per message caps a worker at ~1,600 sends/s. Instead, one
thread per event loop publishes whatever accumulated while the previous confirm was awaited, as one task: at
low load a batch is one message (no added latency); under load batches grow and so does throughput."""

import asyncio
import contextvars
import logging
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

logger = logging.getLogger(__name__)

MAX_BATCH = 500

PublishBatch = Callable[[list[dict[str, Any]]], None]


class BatchPublisher:
    def __init__(self, publish_batch: PublishBatch) -> None:
        self._publish_batch = publish_batch
        self._queue: asyncio.Queue[tuple[dict[str, Any], asyncio.Future[None]]] = asyncio.Queue()
        # One thread owns the broker connection: kombu producers are not thread-safe.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="persist-publisher")
        self._runner: asyncio.Task[None] | None = None

    async def publish(self, message: dict[str, Any]) -> None:
        """Return once the broker has confirmed the message; raise if it could not."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((message, done))
        if self._runner is None or self._runner.done():
            # A context of its own, not the log context (connection, trace) of the send that started it.
            self._runner = asyncio.create_task(self._run(), context=contextvars.Context())
        await done

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await loop.run_in_executor(self._executor, self._publish_batch, [m for m, _ in batch])
            except Exception as error:  # the broker refused or is unreachable: every sender hears of it
                logger.warning("persistence publish failed for %d messages: %r", len(batch), error)
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)


# Weak keys: a closed event loop (tests, async_to_sync) takes its publisher with it.
_publishers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, BatchPublisher] = (
    weakref.WeakKeyDictionary()
)


def publisher_for_running_loop(publish_batch: PublishBatch) -> BatchPublisher:
    loop = asyncio.get_running_loop()
    publisher = _publishers.get(loop)
    if publisher is None:
        publisher = _publishers[loop] = BatchPublisher(publish_batch)
    return publisher
