"""Many concurrent requests, one round trip.

A round trip to Redis or RabbitMQ costs a worker far more CPU (a system call each way, the client's
connection bookkeeping) than the commands it carries (docs/benchmarks.md). A Coalescer runs its requests
one batch at a time: while a batch is in flight, new requests queue, and the next batch carries all of them.
A request to an idle coalescer goes out at once, so nothing waits that would not have waited anyway.

Under load a coalescer may also be paced (`min_interval`, `busy_rate`): while requests arrive at `busy_rate`
per second or more, it runs at most one batch per interval, so batches grow and the fixed cost of each is
shared by more requests; below that rate it still runs each at once. The persistence publisher paces its
tasks so (messaging.delivery.publisher), the journal its Redis round trips (messaging.delivery.journal)."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Runs one batch; returns a result, or the exception that request failed with, per request in order. Raising
# fails the whole batch.
RunBatch = Callable[[list[Item]], Awaitable[Sequence[Result | Exception]]]


@dataclass
class Pending(Generic[Item, Result]):
    item: Item
    done: asyncio.Future[Result]
    at: float  # loop time it was submitted


class ArrivalRate:
    """Requests per second, counted over the current and the previous whole second."""

    def __init__(self) -> None:
        self._window_start = 0.0
        self._count = 0
        self._previous_count = 0

    def note(self, now: float) -> None:
        if now - self._window_start >= 1:
            self._previous_count = self._count if now - self._window_start < 2 else 0
            self._window_start, self._count = now, 0
        self._count += 1

    def at_least(self, per_second: float) -> bool:
        return max(self._count, self._previous_count) >= per_second


class Coalescer(Generic[Item, Result]):
    """Belongs to one event loop (its futures and its runner task do)."""

    def __init__(
        self,
        run_batch: RunBatch[Item, Result],
        *,
        max_batch: int = 500,
        min_interval: float = 0,
        busy_rate: float = 0,
    ) -> None:
        """`min_interval` (seconds) and `busy_rate` (requests per second): the pacing under load (above)."""
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._queue: asyncio.Queue[Pending[Item, Result]] = asyncio.Queue()
        self._runner: asyncio.Task[None] | None = None
        self._min_interval = min_interval
        self._busy_rate = busy_rate
        self._arrivals = ArrivalRate()
        self._last_batch = -min_interval  # loop time the last batch started (BatchPublisher's wait limit too)

    async def submit(self, item: Item) -> Result:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._min_interval:
            self._arrivals.note(now)
        done: asyncio.Future[Result] = loop.create_future()
        self._queue.put_nowait(Pending(item, done, now))
        if self._runner is None or self._runner.done():
            # A context of its own, not the log context (connection, trace) of the request that started it.
            self._runner = asyncio.create_task(self._run(), context=contextvars.Context())
        return await done

    async def _before_batch(self) -> None:
        """Called with the next batch's first request taken. Busy: at most one batch per interval; a request
        arriving sooner waits for the rest of it, with those behind it."""
        loop = asyncio.get_running_loop()
        wait = self._last_batch + self._min_interval - loop.time()
        if wait > 0 and self._arrivals.at_least(self._busy_rate):
            await asyncio.sleep(wait)
        self._last_batch = loop.time()

    def _admit(self, batch: list[Pending[Item, Result]]) -> list[Pending[Item, Result]]:
        """The requests of `batch` to run; a subclass may settle others instead."""
        return batch

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            await self._before_batch()
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            admitted = self._admit(batch)
            if admitted:
                await self._run_and_settle(admitted)

    async def _run_and_settle(self, batch: list[Pending[Item, Result]]) -> None:
        try:
            results = await self._run_batch([pending.item for pending in batch])
        except Exception as error:  # every requester hears of it; the next batch is tried afresh
            for pending in batch:
                settle(pending, error)
        else:
            for pending, result in zip(batch, results, strict=True):
                settle(pending, result)


def settle(pending: Pending[Item, Result], outcome: Result | Exception) -> None:
    if pending.done.done():  # its requester is gone (cancelled)
        return
    if isinstance(outcome, Exception):
        pending.done.set_exception(outcome)
    else:
        pending.done.set_result(outcome)
