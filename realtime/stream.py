"""Everything one socket is sent, in the order it must arrive.

Frames without a seq (acks, typing, presence, errors) go straight to the socket's outbox. A conversation's
ordered events go through its orderer (realtime.ordering): seq N only after N-1, a gap filled from the
journal or storage once it has lasted GAP_TIMEOUT_SECONDS. Until the client's first `sync` (or
FIRST_SYNC_WAIT_SECONDS), ordered events are held back, so that what `sync` replays never arrives after, or
again with, newer live ones.

Every decision here is synchronous and ends in `Outbox.put`, which never waits: frames reach the outbox in
the order they were released, whichever caller released them (a broadcast, a replay, a gap fill), and leave
it in that order — whatever the server's `send` does while the client reads slowly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from realtime.frames import OutFrame
from realtime.ordering import FIRST_SYNC_WAIT_SECONDS, GAP_TIMEOUT_SECONDS, SeqOrderer
from realtime.outbox import Outbox

logger = logging.getLogger(__name__)

REPLAY_PAGE = 500  # events per replay at most: a `sync` frame, a gap fill, a catch-up (docs/protocol.md)


@dataclass(frozen=True)
class Replay:
    """A page of a conversation's events, oldest first: (seq, frame text, or None: nothing to send at this
    seq). Every event from the start of the range through `settled_through` is in `frames` or never existed
    (a seq given up, or superseded): nothing else below it is worth waiting for. `more`: the range held more
    than one page."""

    frames: list[tuple[int, str | None]]
    settled_through: int
    more: bool = False


# (conversation, after seq, before seq or None, at most how many) -> what the journal (the recent log, then
# storage) holds in that range.
Fetch = Callable[[int, int, int | None, int], Awaitable[Replay]]


class SocketStream:
    def __init__(
        self,
        outbox: Outbox,
        *,
        fetch: Fetch,
        follows: Callable[[int], bool],
        present: Callable[[OutFrame], OutFrame] | None = None,
    ) -> None:
        """`follows(conversation)`: whether the socket still belongs to a conversation (events of one it has
        left are dropped). `present(frame)`: a frame as this socket's reader may see it, for the rare frame
        whose content depends on who reads it (the caller's to keep cheap: it sees every frame, and returns
        the shared frame itself when it is unchanged)."""
        self.outbox = outbox
        self._present = present
        self._fetch = fetch
        self._follows = follows
        self._orderer: SeqOrderer[OutFrame] = SeqOrderer()
        # conversation -> the first seq missing in its gap, and the timer that fills that gap
        self._gap_timers: dict[int, tuple[int, asyncio.TimerHandle]] = {}
        self._background: set[asyncio.Task[Any]] | None = None  # made for the first follow-up
        self._before_first_sync: list[tuple[int, int, OutFrame | None]] | None = []
        self._first_sync_timer: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(
            FIRST_SYNC_WAIT_SECONDS, self.end_first_sync_wait
        )

    def send(self, frame: OutFrame) -> None:
        """A frame that needs no ordering."""
        self._put(frame)

    def deliver(self, conversation_id: int, seq: int, frame: OutFrame | None) -> None:
        """An ordered event (or, with `frame=None`, word that `seq` will never come)."""
        if self._before_first_sync is not None:
            self._before_first_sync.append((conversation_id, seq, frame))
        elif frame is not None and not self._gap_timers and self._orderer.take_next(conversation_id, seq):
            self._put(frame)  # in order, no gap anywhere: nothing to hold or to time
        else:
            self._release(conversation_id, seq, frame)

    def end_first_sync_wait(self) -> None:
        held, self._before_first_sync = self._before_first_sync, None
        if self._first_sync_timer is not None:
            self._first_sync_timer.cancel()
            self._first_sync_timer = None
        for conversation_id, seq, frame in held or []:
            if self._follows(conversation_id):
                self._release(conversation_id, seq, frame)

    @property
    def waiting_for_first_sync(self) -> bool:
        return self._before_first_sync is not None

    def start_after(self, conversation_id: int, seq: int) -> None:
        self._orderer.start_after(conversation_id, seq)

    def forget(self, conversation_id: int) -> None:
        self._orderer.forget(conversation_id)

    def last_delivered(self, conversation_id: int) -> int:
        return self._orderer.last_delivered(conversation_id)

    async def replay(
        self, conversation_id: int, *, after_seq: int, before_seq: int | None = None, limit: int = REPLAY_PAGE
    ) -> Replay:
        """Offer a page of what the journal holds after `after_seq` (and below `before_seq`) as ordered
        events, as if broadcast again (the orderer drops what this socket already has). Sent a chunk at a
        time, each once the client has taken most of the one before (Outbox.room)."""
        page = await self._fetch(conversation_id, after_seq, before_seq, limit)
        chunk = 0
        for seq, text in page.frames:
            self._release(conversation_id, seq, OutFrame(text) if text is not None else None)
            chunk += len(text or "")
            if chunk >= self.outbox.max_bytes // 4:
                await self.outbox.room()
                chunk = 0
        for frame in self._orderer.settle(conversation_id, through=page.settled_through):
            self._put(frame)
        return page

    def in_background(self, coroutine_function: Callable[..., Awaitable[Any]], *args: Any) -> None:
        """Run a follow-up as a task of this socket (cancelled when it closes)."""
        task = asyncio.ensure_future(coroutine_function(*args))
        if self._background is None:
            self._background = set()
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def close(self) -> None:
        if self._first_sync_timer is not None:
            self._first_sync_timer.cancel()
        for _, timer in self._gap_timers.values():
            timer.cancel()
        for task in self._background or ():
            task.cancel()
        self.outbox.stop()

    def _put(self, frame: OutFrame) -> None:
        self.outbox.put(self._present(frame) if self._present else frame)

    def _release(self, conversation_id: int, seq: int, frame: OutFrame | None) -> None:
        for ready in self._orderer.offer(conversation_id, seq, frame):
            self._put(ready)
        self._time_gap(conversation_id)

    def _time_gap(self, conversation_id: int) -> None:
        """Fill the conversation's gap, if it has one, once it has lasted GAP_TIMEOUT_SECONDS. A gap that
        closes takes its timer with it: under load, with several workers, seqs arrive a little out of order
        all the time, and a timer left from a gap that closed would give up at once on the next one, whose
        message is only on its way (delivering it late, out of order, after a needless fetch)."""
        gap = self._orderer.gap(conversation_id)
        timed = self._gap_timers.get(conversation_id)
        if timed is not None:
            if gap is not None and gap[0] == timed[0]:
                return
            timed[1].cancel()
            del self._gap_timers[conversation_id]
        if gap is not None:
            timer = asyncio.get_running_loop().call_later(
                GAP_TIMEOUT_SECONDS, self.in_background, self._gap_timed_out, conversation_id, gap[0]
            )
            self._gap_timers[conversation_id] = (gap[0], timer)

    async def _gap_timed_out(self, conversation_id: int, first_missing: int) -> None:
        timed = self._gap_timers.get(conversation_id)
        if timed is None or timed[0] != first_missing:  # closed meanwhile; a newer gap has its own timer
            return
        del self._gap_timers[conversation_id]
        await self._fill_gap(conversation_id)

    async def _fill_gap(self, conversation_id: int) -> None:
        """A gap outlived GAP_TIMEOUT_SECONDS: fetch what storage has, then stop waiting for the rest."""
        gap = self._orderer.gap(conversation_id)
        if gap is None or not self._follows(conversation_id):
            return
        first_missing, first_held = gap
        try:
            page = await self.replay(conversation_id, after_seq=first_missing - 1, before_seq=first_held)
        except Exception:  # the journal failing (Redis failing over, storage restarting), whatever it
            # raised: try again later, rather than hold what waits behind the gap until another broadcast
            logger.warning("gap in conversation %s not filled; retrying", conversation_id, exc_info=True)
            self._time_gap(conversation_id)
            return
        if page.more:  # a long way behind: fill the next page at once, at the client's pace
            self.in_background(self._fill_gap, conversation_id)
            return
        for frame in self._orderer.skip_gap(conversation_id, up_to=first_held):
            self._put(frame)
