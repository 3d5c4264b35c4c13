"""Per-socket ordering of a conversation's messages by seq.

Two workers can allocate seqs 5 and 6 and have 6 confirmed by the broker first, so events may reach a socket
out of order. Each socket delivers seq N only after N-1, holding later ones back; a seq that never comes
(its send failed, or a worker died in between) is skipped once the gap has lasted GAP_TIMEOUT_SECONDS and
storage has been asked for it. A message that was only slow (an overloaded worker, a broker retry) and turns
up after its seq was skipped is delivered late, out of order, rather than lost."""

from collections import deque
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")  # what is delivered: a frame

GAP_TIMEOUT_SECONDS = 1.0
FIRST_SYNC_WAIT_SECONDS = 2.0  # how long a new socket holds ordered events for the client's first sync
SKIPPED_RANGES_KEPT = 16  # per conversation: a message later than this many skipped gaps is dropped


@dataclass(slots=True)
class ConversationOrder(Generic[T]):
    """One conversation's order on one socket: a socket has one per conversation of its user, so what an
    idle one holds is kept small (no gap skipped yet: no `skipped` deque)."""

    next_seq: int | None = None  # None until the first event or a baseline
    held: dict[int, T | None] = field(default_factory=dict)
    settled_through: int = 0  # every seq up to here that exists was offered: a missing one will never come
    # (first, last) seqs given up on without being seen: one of them may still arrive, late
    skipped: deque[tuple[int, int]] | None = None

    def skip(self, first: int, last: int) -> None:
        if self.skipped is None:
            self.skipped = deque(maxlen=SKIPPED_RANGES_KEPT)
        self.skipped.append((first, last))

    def take_late(self, seq: int) -> bool:
        """Whether `seq` was skipped unseen; if so, it no longer is (a second copy is a duplicate)."""
        if self.skipped is None:
            return False
        for index, (first, last) in enumerate(self.skipped):
            if first <= seq <= last:
                del self.skipped[index]
                self.skipped.extend(r for r in ((first, seq - 1), (seq + 1, last)) if r[0] <= r[1])
                return True
        return False


class SeqOrderer(Generic[T]):
    def __init__(self) -> None:
        self._conversations: dict[int, ConversationOrder[T]] = {}

    def _order(self, conversation_id: int) -> ConversationOrder[T]:
        order = self._conversations.get(conversation_id)
        if order is None:  # not setdefault: it would build an order (and its dict) on every event
            order = self._conversations[conversation_id] = ConversationOrder()
        return order

    def start_after(self, conversation_id: int, seq: int) -> None:
        """Deliver from seq+1 on; anything at or below `seq` counts as already delivered."""
        order = self._order(conversation_id)
        order.next_seq = seq + 1
        order.held = {s: text for s, text in order.held.items() if s > seq}

    def forget(self, conversation_id: int) -> None:
        self._conversations.pop(conversation_id, None)

    def take_next(self, conversation_id: int, seq: int) -> bool:
        """Whether `seq` is the very next event, with nothing held: if so, it counts as delivered (the
        caller sends it). Otherwise nothing changes, and the event goes to `offer`."""
        order = self._conversations.get(conversation_id)
        if order is None or seq != order.next_seq or order.held or seq < order.settled_through:
            return False
        order.next_seq = seq + 1
        return True

    def offer(self, conversation_id: int, seq: int, text: T | None) -> list[T]:
        """Take one event (or a skip, `text=None`); return what can now be delivered, in order."""
        order = self._order(conversation_id)
        if order.next_seq is None:
            order.next_seq = seq
        if text is not None and self.take_next(conversation_id, seq):
            return [text]  # the usual case, in order with nothing waiting: what _release would do
        if seq < order.next_seq:
            if text is not None and order.take_late(seq):
                return [text]
            return []  # a duplicate, or older than this socket's starting point
        if text is not None or seq not in order.held:
            order.held[seq] = text
        return self._release(order)

    def settle(self, conversation_id: int, *, through: int) -> list[T]:
        """Every event up to `through` that exists has been offered (a replay from settled storage): stop
        waiting for the seqs it lacks, at once, and deliver what was held behind them."""
        order = self._order(conversation_id)
        order.settled_through = max(order.settled_through, through)
        return self._release(order) if order.next_seq is not None else []

    def _release(self, order: ConversationOrder[T]) -> list[T]:
        ready: list[T] = []
        assert order.next_seq is not None  # noqa: S101 - set by every caller
        while True:
            if order.next_seq in order.held:
                text = order.held.pop(order.next_seq)
                if text is not None:
                    ready.append(text)
                order.next_seq += 1
            elif order.next_seq <= order.settled_through:  # a settled gap: jump to what comes after it
                later = [seq for seq in order.held if seq > order.next_seq]
                order.next_seq = min([*later, order.settled_through + 1])
            else:
                return ready

    def gap(self, conversation_id: int) -> tuple[int, int] | None:
        """(first missing seq, lowest held seq) while messages wait behind a gap."""
        order = self._conversations.get(conversation_id)
        if order is None or not order.held or order.next_seq is None:
            return None
        return order.next_seq, min(order.held)

    def skip_gap(self, conversation_id: int, *, up_to: int) -> list[T]:
        """Give up on the seqs still missing below `up_to` (the gap that timed out; a newer gap keeps its
        own timer) and deliver what was held behind them."""
        order = self._order(conversation_id)
        if order.held and order.next_seq is not None and order.next_seq < up_to:
            resume_at = min(min(order.held), up_to)
            order.skip(order.next_seq, resume_at - 1)
            order.next_seq = resume_at
        return self._release(order)

    def last_delivered(self, conversation_id: int) -> int:
        order = self._conversations.get(conversation_id)
        return order.next_seq - 1 if order and order.next_seq else 0
