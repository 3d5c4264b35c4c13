"""The socket's per-connection rate limit: a token bucket (a burst, then a steady rate), in memory — a
connection lives on one worker, so nothing needs to be shared."""

import time

from django.conf import settings

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
