"""A worker's memory of its lookups (core.remembered) stays within its limit, whatever a flood of sends
names."""

from core import remembered
from core.remembered import Remembered


def test_the_least_recently_used_is_forgotten_past_the_limit():
    memory: Remembered[str, int] = Remembered(limit=2)
    memory.remember("a", 1)
    memory.remember("b", 2)
    assert memory.get("a") is not None  # "a" used: "b" is now the least recently used
    memory.remember("c", 3)
    assert memory.get("b") is None
    assert [memory.get(key)[0] for key in ("a", "c")] == [1, 3]


def test_a_value_says_how_long_ago_it_was_remembered(monkeypatch):
    memory: Remembered[str, int] = Remembered(limit=10)
    memory.remember("a", 1)
    now = remembered.monotonic()
    monkeypatch.setattr("core.remembered.monotonic", lambda: now + 12.5)
    value, seconds_ago = memory.get("a")
    assert value == 1
    assert 12.5 <= seconds_ago < 13
