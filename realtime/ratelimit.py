"""The sockets' rate limits: token buckets (a burst, then a steady rate), in memory. Write frames count per
account on each worker, its sockets there sharing one bucket, so that opening more tabs buys no more sends;
sharing it across workers would cost a Redis round trip per frame, and SOCKETS_PER_USER_MAX bounds what the
other workers add. Signals and syncs count per socket: each tab types, reads and catches up on its own, and a
reconnect's `sync` must not wait for another tab's."""

import weakref
from time import monotonic  # by name: a test's fake clock is then this module's alone

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
        self.updated = monotonic()

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
        now = monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def retry_after(self) -> float:
        """Seconds until the next token."""
        return max(0.0, (1 - self.tokens) / self.rate) if self.rate > 0 else float("inf")


# The kinds an account's sockets on a worker share.
ACCOUNT_KINDS = frozenset({"writes"})


class FrameBudget:
    """Buckets by kind (BUCKET_OF_FRAME's values), each made full at the first frame it counts: an idle
    socket keeps none."""

    __slots__ = ("__weakref__", "buckets")

    def __init__(self) -> None:
        self.buckets: dict[str, TokenBucket] = {}

    def spend(self, kind: str) -> None:
        """Count a frame against its kind's bucket; Refused("rate_limited") when that bucket is empty."""
        bucket = self.buckets.get(kind)
        if bucket is None:
            bucket = self.buckets[kind] = TokenBucket.for_kind(kind)
        if not bucket.take():
            raise Refused("rate_limited", f"Too many frames; retry in {bucket.retry_after():.1f} s.")


_account_budgets: "weakref.WeakValueDictionary[int, FrameBudget]" = weakref.WeakValueDictionary()


def account_budget(user_id: int) -> FrameBudget:
    """The budget this worker's sockets of `user_id` share (ACCOUNT_KINDS), alive while a socket holds it."""
    budget = _account_budgets.get(user_id)
    if budget is None:
        budget = _account_budgets[user_id] = FrameBudget()
    return budget
