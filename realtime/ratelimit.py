"""The sockets' rate limits: token buckets (a burst, then a steady rate) per account on each worker, in
memory. An account's sockets on a worker share its buckets, so opening more tabs buys no more frames; sharing
them across workers would cost a Redis round trip per frame, and SOCKETS_PER_USER_MAX bounds what the other
workers add."""

import time
import weakref

from django.conf import settings

from core.errors import Refused

# Frames that write, counted in one bucket; `typing`, `read` and `activity`, which a client sends as the
# person types, reads and comes and goes, in a separate, larger one, so they never starve sends; `sync`,
# whose replay costs the server far more than the frame, in a third. `ping` is not counted.
WRITE_FRAMES = frozenset(
    {
        "message.send",
        "message.edit",
        "message.delete",
        "reaction.add",
        "reaction.remove",
        "message.forward",
        "message.pin",
        "message.unpin",
    }
)
SIGNAL_FRAMES = frozenset({"typing", "read", "activity"})
SYNC_FRAMES = frozenset({"sync"})
BUCKET_OF_FRAME = (
    dict.fromkeys(WRITE_FRAMES, "writes")
    | dict.fromkeys(SIGNAL_FRAMES, "signals")
    | dict.fromkeys(SYNC_FRAMES, "syncs")
)


class TokenBucket:
    __slots__ = ("capacity", "rate", "tokens", "updated")

    def __init__(self, *, burst: int, per_second: float) -> None:
        self.capacity = float(burst)
        self.rate = per_second
        self.tokens = float(burst)
        self.updated = time.monotonic()

    @classmethod
    def for_kind(cls, kind: str) -> "TokenBucket":
        """A full bucket for a kind of BUCKET_OF_FRAME."""
        return {"writes": cls.for_writes, "signals": cls.for_signals, "syncs": cls.for_syncs}[kind]()

    @classmethod
    def for_writes(cls) -> "TokenBucket":
        return cls(burst=settings.SOCKET_RATE_BURST, per_second=settings.SOCKET_RATE_PER_SECOND)

    @classmethod
    def for_signals(cls) -> "TokenBucket":
        return cls(burst=settings.SOCKET_SIGNAL_RATE_BURST, per_second=settings.SOCKET_SIGNAL_RATE_PER_SECOND)

    @classmethod
    def for_syncs(cls) -> "TokenBucket":
        return cls(burst=settings.SOCKET_SYNC_RATE_BURST, per_second=settings.SOCKET_SYNC_RATE_PER_SECOND)

    def take(self) -> bool:
        """Spend one token if there is one."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def retry_after(self) -> float:
        """Seconds until the next token."""
        return max(0.0, (1 - self.tokens) / self.rate) if self.rate > 0 else float("inf")


class FrameBudget:
    """One account's buckets on this worker, held by its open sockets here and gone with the last of them.
    A bucket is made full at the first frame it counts: an idle socket keeps none."""

    __slots__ = ("__weakref__", "buckets")

    def __init__(self) -> None:
        self.buckets: dict[str, TokenBucket] = {}

    def spend(self, frame_type: str) -> None:
        """Count a frame of BUCKET_OF_FRAME against its kind's bucket; Refused("rate_limited") when empty."""
        kind = BUCKET_OF_FRAME[frame_type]
        bucket = self.buckets.get(kind)
        if bucket is None:
            bucket = self.buckets[kind] = TokenBucket.for_kind(kind)
        if not bucket.take():
            raise Refused("rate_limited", f"Too many frames; retry in {bucket.retry_after():.1f} s.")


_budgets: "weakref.WeakValueDictionary[int, FrameBudget]" = weakref.WeakValueDictionary()


def frame_budget(user_id: int) -> FrameBudget:
    """The budget this worker's sockets of `user_id` share; the caller keeps it alive while it may spend."""
    budget = _budgets.get(user_id)
    if budget is None:
        budget = _budgets[user_id] = FrameBudget()
    return budget
