"""The presence store's second set (issue #25): which sockets are looking, and the status it makes — the same
in Redis (full stack) and in memory (embedded)."""

import pytest

from realtime.presence import MemoryPresence, RedisPresence, StatusChange


@pytest.fixture(params=["redis", "memory"])
def store(request):
    return RedisPresence() if request.param == "redis" else MemoryPresence()


def test_a_new_socket_is_looking_until_it_says_otherwise(store):
    assert store.connect(1, "a") == StatusChange("offline", "online", sockets=1)
    assert store.looking_user_ids([1, 2]) == {1}
    assert store.statuses([1, 2]) == {1: "online", 2: "offline"}
    store.disconnect(1, "a")


def test_status_follows_the_user_s_sockets_together(store):
    store.connect(1, "a")
    assert store.connect(1, "b") == StatusChange("online", "online", sockets=2)  # nothing to announce

    assert store.set_looking(1, "a", False) == StatusChange("online", "online", sockets=2)  # b still looks
    assert store.set_looking(1, "b", False) == StatusChange("online", "idle", sockets=2)
    assert (store.online_user_ids([1]), store.looking_user_ids([1])) == ({1}, set())
    assert store.set_looking(1, "a", True) == StatusChange("idle", "online", sockets=2)
    assert store.disconnect(1, "a") == StatusChange("online", "idle", sockets=1)  # b is open but hidden
    assert store.disconnect(1, "b") == StatusChange("idle", "offline", sockets=0)
    assert store.statuses([1]) == {1: "offline"}


async def test_the_heartbeat_refreshes_a_looking_socket_in_both_sets_and_a_hidden_one_in_one(store):
    store.connect(1, "looking")
    store.connect(2, "hidden")
    store.set_looking(2, "hidden", False)

    await store.refresh_many([(1, "looking", True), (2, "hidden", False)])

    assert store.statuses([1, 2]) == {1: "online", 2: "idle"}
    store.disconnect(1, "looking")
    store.disconnect(2, "hidden")
