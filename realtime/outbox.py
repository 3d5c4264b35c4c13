"""One socket's outbound frames: whoever has a frame for the socket puts it here and never waits; what the
client cannot take yet waits in this socket's own queue, sent by its own writer at the pace the client reads.

A worker hands every broadcast to all of its sockets from one reader (realtime.hub). If handing one to a
socket awaited that socket's `send`, a client that stops reading would stall every other socket on the
worker: uvicorn's `send` waits while the connection's buffer is full. Here putting a frame costs an append
— or, where the server lets frames be written as encoded (realtime.uvicorn_ws) and the connection can take
them, the write itself, with no coroutine, encoded once for every socket. Only a socket that has something
queued has a writer task.

What a socket has not taken yet is bounded, in size and in age (SOCKET_OUTBOX_MAX_BYTES,
SOCKET_OUTBOX_MAX_AGE_SECONDS): its queued frames (counted in characters: the frames' text is shared with
every other socket) plus what the server still buffers for it (in bytes, realtime.transport). Past either
bound the socket is too slow: its queue is dropped and it is closed (close code 4408); `sync` then gives the
client everything it missed, once, in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterator

from core.per_loop import PerLoop
from realtime.frames import OutFrame
from realtime.transport import FrameWriter, Transport

logger = logging.getLogger(__name__)

Send = Callable[[str], Awaitable[None]]
ROOM_POLL_SECONDS = 0.05  # how often `room()` looks again at a server buffer that drains without telling


def frame_size(text: str) -> int:
    """A frame's length with its WebSocket header (unmasked, as a server sends it)."""
    length = len(text)
    return length + (2 if length < 126 else 4 if length < 65536 else 10)


class HeldWrites:
    """While a batch is open, a frame that would go straight out waits in its socket's outbox, and each
    socket's frames leave as one write when the batch closes. One read from Redis brings a loaded worker
    many broadcasts, and a socket several of them; each write is a send(), which on loopback also runs the
    receiving end's TCP (docs/benchmarks.md, "What changed"). Opened only across code that does not await
    (realtime.hub), so no other task writes, pings or closes a connection meanwhile: nothing overtakes the
    held frames, and what a socket holds is at most its share of one read."""

    __slots__ = ("open", "_holding")

    def __init__(self) -> None:
        self.open = False
        self._holding: list[Outbox] = []

    def hold(self, outbox: Outbox) -> None:
        self._holding.append(outbox)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        self.open = True
        try:
            yield
        finally:
            self.open = False
            holding, self._holding = self._holding, []
            for outbox in holding:
                try:
                    outbox.write_held()
                except Exception:  # one broken connection must not keep the others' frames
                    logger.exception("a socket failed to write its held frames")


held_writes: PerLoop[HeldWrites] = PerLoop(HeldWrites)


class Outbox:
    def __init__(
        self,
        send: Send,
        *,
        transport: Transport | None,
        max_bytes: int,
        max_age: float,
        on_overflow: Callable[[str], None],
        frames: FrameWriter | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """`send(text)` is the ASGI way to send a frame; `frames`, where the server offers it, writes encoded
        frames directly. `on_overflow(reason)` is called once, with "bytes" or "age", when the client has
        fallen too far behind; nothing is sent after that. `clock` (seconds) defaults to the event loop's."""
        self._send = send
        self._frames = frames
        self._transport: Transport | None = frames or transport
        self._max_bytes = max_bytes
        self._max_age = max_age
        self._on_overflow = on_overflow
        # What an idle socket holds is kept small (docs/benchmarks.md, "Idle socket memory"): the queue, the
        # record of what the server buffers and the event are made when first needed, and a socket that
        # sends straight through (the client keeps up) may never need them.
        self._queue: deque[tuple[OutFrame, int, float]] | None = None  # (frame, size, when it was queued)
        self._queued_bytes = 0
        # Frames handed to the server that the client may not have taken yet: (bytes written up to the end
        # of the frame, when it was queued). What the server still buffers tells how far the client got;
        # None while it buffers nothing.
        self._written: deque[tuple[int, float]] | None = None
        self._total_written = 0
        self._clock = clock or asyncio.get_running_loop().time
        self._sent: asyncio.Event | None = None  # set when a queued frame leaves; made by `room`
        self._held_writes = held_writes.get()
        self._held: list[bytes] | None = None  # frames of the open batch (HeldWrites)
        self._held_bytes = 0
        self._writer: asyncio.Task[None] | None = None
        self._stopped = False
        self.overflowed = False

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    def stop(self) -> None:
        """Stop sending and drop what is queued (the socket is going away)."""
        self._stopped = True
        if self._writer is not None:
            self._writer.cancel()
        self._queue = None
        self._queued_bytes = 0
        self._held, self._held_bytes = None, 0

    def put(self, frame: OutFrame) -> None:
        """Send a frame, or queue it; never waits. Frames leave in the order they were put."""
        if self.overflowed or self._stopped:
            return
        size = frame_size(frame.text)
        if self._held is not None:  # behind frames held for the batch
            self._held.append(frame.wire)
            self._held_bytes += size
            return
        frames = self._frames
        if self._queue is None and frames is not None and size <= self._max_bytes and frames.idle():
            # The usual case, once per socket of every broadcast: nothing of this socket's waits, here or in
            # the server, so nothing is over a limit and the frame goes straight out (at the batch's end).
            if self._held_writes.open:
                self._held, self._held_bytes = [frame.wire], size
                self._held_writes.hold(self)
            else:
                self._write_now(frame.wire, size)
            return
        now = self._clock()
        reason = self._over_limit(now, size)
        if reason is not None:
            self._overflow(reason)
            return
        if self._writer is None and self._frames is not None and self._writable_now():
            self._write_now(frame.wire, size, now)
            return
        if self._queue is None:
            self._queue = deque()
        self._queue.append((frame, size, now))
        self._queued_bytes += size
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write_queued(), name="socket-writer")

    async def room(self) -> None:
        """Until what the client has not taken is at most half the limit. A replay waits here between chunks:
        catching up, however much there is to catch up on, is not falling behind."""
        while not self.overflowed and self.pending_bytes() > self._max_bytes // 2:
            if self._sent is None:
                self._sent = asyncio.Event()
            self._sent.clear()
            try:
                await asyncio.wait_for(self._sent.wait(), ROOM_POLL_SECONDS)
            except TimeoutError:
                pass

    def pending_bytes(self) -> int:
        """What the client has not taken yet: held or queued here, and buffered by the server."""
        buffered = self._transport.buffered_bytes() if self._transport else 0
        return self._held_bytes + self._queued_bytes + buffered

    def write_held(self) -> None:
        """The batch closed: write the frames held for it, together (HeldWrites)."""
        held, size = self._held, self._held_bytes
        self._held, self._held_bytes = None, 0
        if held and not self._stopped and self._frames is not None and self._frames.can_write():
            self._write_now(held[0] if len(held) == 1 else b"".join(held), size)

    def _write_now(self, wire: bytes, size: int, now: float | None = None) -> None:
        """Hand frames to the server's buffer at once; `now`: the clock's reading, if already taken."""
        assert self._frames is not None  # noqa: S101 - checked by the caller
        self._frames.write(wire)
        self._total_written += size
        if self._frames.buffered_bytes():  # the client has not taken all of it yet: remember when
            self._remember_written(self._clock() if now is None else now)
        else:  # taken, and everything before it
            self._written = None

    def _writable_now(self) -> bool:
        assert self._frames is not None  # noqa: S101 - checked by the caller
        return self._frames.can_write() and not self._frames.paused()

    def _over_limit(self, now: float, incoming: int) -> str | None:
        buffered = self._transport.buffered_bytes() if self._transport else 0
        if self._queued_bytes + buffered + incoming > self._max_bytes:
            return "bytes"
        oldest = self._oldest_untaken(buffered)
        if oldest is not None and now - oldest > self._max_age:
            return "age"
        return None

    def _oldest_untaken(self, buffered: int) -> float | None:
        """When the oldest frame the client has not taken was queued: the oldest still in the server's buffer,
        else the oldest queued here."""
        taken = self._total_written - buffered
        while self._written and self._written[0][0] <= taken:
            self._written.popleft()
        if self._written:
            return self._written[0][1]
        self._written = None
        return self._queue[0][2] if self._queue else None

    def _hand_over(self, size: int, queued_at: float) -> None:
        """Account for a frame leaving for the server's buffer."""
        self._total_written += size
        if self._transport is not None:
            self._remember_written(queued_at)

    def _remember_written(self, queued_at: float) -> None:
        if self._written is None:
            self._written = deque()
        self._written.append((self._total_written, queued_at))

    def _overflow(self, reason: str) -> None:
        self.overflowed = True
        self.stop()
        self._written = None
        self._on_overflow(reason)

    async def _write_queued(self) -> None:
        """Send what is queued, in order, then end: an idle socket has no writer task."""
        try:
            while self._queue:
                frame, size, queued_at = self._queue[0]
                if self._frames is not None and self._frames.can_write():
                    while self._frames.paused() and not self._stopped:
                        await self._frames.resumed()
                    if self._stopped:
                        return
                    self._take(size, queued_at)
                    self._frames.write(frame.wire)
                else:
                    self._take(size, queued_at)
                    await self._send(frame.text)
                if self._sent is not None:
                    self._sent.set()
        except Exception:  # the connection is gone: its disconnect handler cleans up
            logger.debug("socket writer stopped", exc_info=True)
        finally:
            self._writer = None
            if not self._queue:
                self._queue = None

    def _take(self, size: int, queued_at: float) -> None:
        assert self._queue is not None  # noqa: S101 - called for a frame at its head
        self._queue.popleft()
        self._queued_bytes -= size
        self._hand_over(size, queued_at)
