"""A worker's memory of what it looked up, so that a hot path queries once, not per message: bounded (the
least recently used goes first), and each entry says how long ago it was looked up, for its owner to decide
when that is too long ago (messaging.delivery's reference and mention checks)."""

from collections import OrderedDict
from time import monotonic
from typing import Generic, TypeVar

Key = TypeVar("Key")
Value = TypeVar("Value")


class Remembered(Generic[Key, Value]):
    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._entries: OrderedDict[Key, tuple[Value, float]] = OrderedDict()

    def get(self, key: Key) -> tuple[Value, float] | None:
        """The value and how many seconds ago it was remembered; None if it is not (or no longer)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        value, remembered_at = entry
        return value, monotonic() - remembered_at

    def remember(self, key: Key, value: Value) -> None:
        self._entries[key] = (value, monotonic())
        self._entries.move_to_end(key)
        if len(self._entries) > self._limit:
            self._entries.popitem(last=False)

    def forget(self, key: Key) -> None:
        self._entries.pop(key, None)
