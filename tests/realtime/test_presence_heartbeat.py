"""One heartbeat per worker keeps every open socket's presence entry alive (realtime.presence.Heartbeat): a
socket that closed stops being refreshed, and its user goes offline when its entry expires."""

import asyncio

from core.redis import get_redis
from realtime import presence
from realtime.presence import Heartbeat, presence_store


def expiry(user_id: int, connection_id: str) -> float | None:
    return get_redis().zscore(f"presence:{user_id}", connection_id)


async def test_one_beat_refreshes_every_socket_of_the_worker_and_only_those_still_open(monkeypatch):
    # given three sockets of two users, registered as connecting does
    store = presence_store()
    for user_id, connection_id in ((1, "a"), (1, "b"), (2, "c")):
        await asyncio.to_thread(store.connect, user_id, connection_id)
    before = {c: expiry(u, c) for u, c in ((1, "a"), (1, "b"), (2, "c"))}
    monkeypatch.setattr(presence, "HEARTBEAT_SECONDS", 0.05)
    beaten = asyncio.Event()
    refresh_many = type(store).refresh_many

    async def refresh_and_tell(self, sockets) -> None:  # the real refresh, then word that it happened
        await refresh_many(self, sockets)
        beaten.set()

    monkeypatch.setattr(type(store), "refresh_many", refresh_and_tell)
    beat = Heartbeat()
    for user_id, connection_id in ((1, "a"), (1, "b"), (2, "c")):
        beat.keep(user_id, connection_id)
    beat.drop("b")  # closed before the beat
    # when a beat has passed
    await asyncio.wait_for(beaten.wait(), 5)
    # then the open sockets' entries were pushed further out, the closed one's was not
    assert expiry(1, "a") > before["a"]
    assert expiry(2, "c") > before["c"]
    assert expiry(1, "b") == before["b"]
    for connection_id in ("a", "c"):
        beat.drop(connection_id)
