"""uvicorn's WebSocket protocol (websockets-sansio), able to write a frame encoded once for every socket.

Through ASGI, every message to every socket is its own `send` coroutine: a dict, an await, the text
encoded and framed again for each socket. A broadcast reaches many sockets with the same bytes, so the
application encodes the frame once (realtime.frames.OutFrame) and writes those bytes to each connection,
without a coroutine, while the connection can take them. scripts/web-server selects this class
(`--ws realtime.uvicorn_ws:FramesProtocol`); an application under any other server, or a connection that
negotiated compression, keeps to plain ASGI `send`.

It offers the application the `parley.frames` scope extension, `{"writer": …}`: an object with
`can_write`, `paused`, `idle`, `resumed`, `write`, `buffered_bytes` and `abort`
(realtime.transport.FrameWriter).

It also keeps an idle connection small (docs/benchmarks.md, "Idle socket memory"): the handshake's request
and response are let go once the socket is open; the queue of incoming messages and the "writable" flag
are lighter than asyncio's Queue and Event, whose deques are made at once, for every connection; and the
keepalive's timers (a ping every --ws-ping-interval, a deadline for its pong) are entries in one timer of
the worker's (`Timers`), not a loop timer each (~1 KiB apiece under uvloop)."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
from collections import deque
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

from core.per_loop import PerLoop

logger = logging.getLogger(__name__)

EXTENSION = "parley.frames"


class FramesProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Flag()  # type: ignore[assignment]
        self.writable.set()

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)  # builds the scope; the application starts on the next loop turn
        # The scope has what the application needs of the request. websockets' parser keeps the request for
        # as long as the connection lives (a local of its generator): its headers and path are let go here.
        self.request = None  # type: ignore[assignment]
        event.headers.clear()
        event.path = ""
        if self.response.status_code == 101:
            self.scope["extensions"][EXTENSION] = {"writer": FrameWriter(self)}

    def start_keepalive(self) -> None:
        """Called once the application's `websocket.accept` has sent the handshake's response."""
        self.response = None  # type: ignore[assignment]
        # The application has read what it needs of the request (origin, token, version) before accepting.
        # Every copy of the scope shares the headers' list, so emptied here it is let go for the connection's
        # life (~1 KiB per idle socket with a bench client's few headers; a browser's, with cookies, more).
        # The query string may hold a token: not kept either (the consumer drops its own copy too).
        self.scope["headers"].clear()  # type: ignore[attr-defined]
        self.scope["query_string"] = b""
        super().start_keepalive()

    def schedule_ping(self) -> None:
        """uvicorn's, on the worker's shared timer."""
        assert self.ping_interval is not None  # noqa: S101 - only called with a keepalive
        delay = max(0.0, self.ping_interval - self.last_ping_rtt)
        self.ping_timer = _timers.get().call_later(delay, self.send_keepalive_ping)  # type: ignore[assignment]

    def send_keepalive_ping(self) -> None:
        """uvicorn's, with the pong's deadline moved to the worker's shared timer."""
        super().send_keepalive_ping()
        deadline = self.pong_timer  # a loop timer (uvloop's is no asyncio.TimerHandle), or None
        if deadline is not None and not isinstance(deadline, Timer) and self.ping_timeout is not None:
            deadline.cancel()
            self.pong_timer = _timers.get().call_later(  # type: ignore[assignment]
                self.ping_timeout, self.keepalive_timeout
            )


class Timer:
    """One entry of `Timers`: what uvicorn's keepalive uses of a loop TimerHandle (`cancel`)."""

    __slots__ = ("callback",)

    def __init__(self, callback: Callable[[], Any]) -> None:
        self.callback: Callable[[], Any] | None = callback

    def cancel(self) -> None:
        self.callback = None


class Timers:
    """Every connection's keepalive timers on one loop timer, set for the earliest: a heap of (when, timer).
    A cancelled entry stays in the heap, without its callback, until its time comes (a connection has at
    most one pending ping and one pong deadline)."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._heap: list[tuple[float, int, Timer]] = []
        self._order = itertools.count()  # ties run in the order they were set
        self._armed: asyncio.TimerHandle | None = None
        self._armed_for = math.inf

    def call_later(self, delay: float, callback: Callable[[], Any]) -> Timer:
        timer = Timer(callback)
        heapq.heappush(self._heap, (self._loop.time() + delay, next(self._order), timer))
        self._arm()
        return timer

    def pending(self) -> int:
        """Entries not yet run or cancelled."""
        return sum(1 for _, _, timer in self._heap if timer.callback is not None)

    def _arm(self) -> None:
        if self._heap and self._heap[0][0] < self._armed_for:
            if self._armed is not None:
                self._armed.cancel()
            self._armed_for = self._heap[0][0]
            self._armed = self._loop.call_at(self._armed_for, self._run)

    def _run(self) -> None:
        self._armed, self._armed_for = None, math.inf
        now = self._loop.time()
        while self._heap and self._heap[0][0] <= now:
            timer = heapq.heappop(self._heap)[2]
            callback, timer.callback = timer.callback, None
            if callback is not None:
                try:
                    callback()
                except Exception:
                    logger.exception("a connection's timer failed")
        self._arm()


_timers: PerLoop[Timers] = PerLoop(Timers)


class Inbox:
    """What uvicorn's protocol uses of an asyncio.Queue (`put_nowait`, `get`, `empty`, `qsize`), for its one
    reader, the application's `receive`: nothing is kept while nothing is queued. Unbounded, as uvicorn's
    queue is (it stops reading from the connection while a message waits)."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: deque[Any] | None = None
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        item = self._items.popleft()
        if not self._items:
            self._items = None
        return item

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items) if self._items else 0


class Flag:
    """asyncio.Event's `set`, `clear`, `is_set` and `wait`, with its waiters made only when one waits."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> None:
        if self._set:
            return
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)


class FrameWriter:
    """Writes already-encoded frames on one connection."""

    def __init__(self, protocol: FramesProtocol) -> None:
        self._protocol = protocol

    def can_write(self) -> bool:
        """Open, and framed as written (no compression negotiated): frames may go straight out."""
        protocol = self._protocol
        return (
            protocol.handshake_complete
            and not protocol.close_sent
            and not protocol.transport.is_closing()
            and protocol.conn.state is State.OPEN
            and not protocol.conn.extensions
        )

    def paused(self) -> bool:
        """The connection's buffer is full (its client reads slowly): wait for `resumed`."""
        return not self._protocol.writable.is_set()

    def idle(self) -> bool:
        protocol = self._protocol
        return (
            not protocol.transport.get_write_buffer_size() and protocol.writable.is_set() and self.can_write()
        )

    async def resumed(self) -> None:
        await self._protocol.writable.wait()  # set again when the buffer drains, or the connection is lost

    def write(self, wire: bytes) -> None:
        self._protocol.transport.write(wire)

    def buffered_bytes(self) -> int:
        return int(self._protocol.transport.get_write_buffer_size())

    def abort(self) -> None:
        self._protocol.transport.abort()


def frame_writer_of(scope: dict[str, Any]) -> FrameWriter | None:
    writer = (scope.get("extensions") or {}).get(EXTENSION, {}).get("writer")
    return writer if isinstance(writer, FrameWriter) else None
