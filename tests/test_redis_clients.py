"""The web workers' asyncio Redis clients (core.redis), against the real Redis: commands packed by hiredis
(redis-py's asyncio connections would pack them in Python) reach Redis as redis-py's own packer writes
them; the journal's round trips (RoundTrips) keep each reply with its command, whatever became of the last
round trip."""

import pytest
from redis.asyncio.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import DataError, ResponseError

import core.redis
from core.redis import RoundTrips, get_async_redis, get_async_redis_for_round_trips, get_redis
from messaging.delivery.journal import LOG_SCRIPT

# A loop of their own, so their pools' connections are their own: earlier tests restart Redis, and a pooled
# connection from before a restart fails its next command (the application answers that send `unavailable`).
pytestmark = pytest.mark.asyncio(loop_scope="function")

COMMIT = ("EVAL", LOG_SCRIPT, 1, "log:test", 7, '{"body":"héllo ✓"}', -1001, 60, "PUBLISH", "conv.t", b"{}\n")


async def test_a_command_is_packed_as_redis_pys_own_packer_packs_it():
    client = get_async_redis_for_round_trips()
    connection = client.connection_pool.make_connection()

    assert b"".join(connection.pack_command(*COMMIT)) == b"".join(Connection().pack_command(*COMMIT))
    assert type(connection).pack_command is not Connection.pack_command


@pytest.mark.parametrize("get_client", [get_async_redis, get_async_redis_for_round_trips])
async def test_values_of_every_kind_reach_redis_and_come_back_unchanged(get_client):
    redis = get_client()
    values = {"text": "héllo ✓ 😀", "bytes": b"\x00\xff", "int": -12, "big": 2**70, "float": 0.1}
    async with redis.pipeline(transaction=False) as pipe:
        for name, value in values.items():
            pipe.set(f"packing:{name}", value, ex=60)
            pipe.get(f"packing:{name}")
        replies = await pipe.execute()

    assert replies[1::2] == [
        b"h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80",
        b"\x00\xff",
        b"-12",
        b"1180591620717411303424",
        b"0.1",
    ]


async def test_an_argument_redis_cannot_take_is_refused_before_anything_is_sent():
    redis = get_async_redis_for_round_trips()

    with pytest.raises(DataError):
        await redis.set("packing:none", None)

    assert await redis.exists("packing:none") == 0
    assert await redis.ping()


async def test_a_round_trip_answers_each_command_and_an_error_reply_fails_only_its_own():
    replies = await RoundTrips().run(
        [("SET", "trips:a", "1", "EX", 60), ("HGET", "trips:a", "field"), ("GET", "trips:a")]
    )

    assert replies[0] == b"OK"
    assert isinstance(replies[1], ResponseError)  # WRONGTYPE: a string is no hash
    assert replies[2] == b"1"


async def test_a_round_trip_past_its_deadline_leaves_no_reply_for_the_next(monkeypatch):
    trips = RoundTrips()
    await trips.run([("SET", "trips:a", "first", "EX", 60)])
    monkeypatch.setattr(core.redis, "SOCKET_TIMEOUT_SECONDS", 0.2)

    with pytest.raises(TimeoutError):  # BLPOP answers (nil) after 1 s, long after the deadline
        await trips.run([("BLPOP", "trips:empty", 1)])
    monkeypatch.setattr(core.redis, "SOCKET_TIMEOUT_SECONDS", 5)

    assert await trips.run([("GET", "trips:a")]) == [b"first"]


async def test_a_round_trip_whose_connection_was_killed_fails_and_the_next_reconnects():
    trips = RoundTrips()
    await trips.run([("CLIENT", "SETNAME", "round-trips")])
    [ours] = [client for client in get_redis().client_list() if client["name"] == "round-trips"]
    get_redis().client_kill(ours["addr"])

    with pytest.raises((RedisConnectionError, OSError)):
        await trips.run([("PING",)])

    assert await trips.run([("PING",)]) == [b"PONG"]


def script_calls() -> dict[str, int]:
    """How often Redis ran a script given its text (EVAL) and given its digest (EVALSHA)."""
    stats = get_redis().info("commandstats")
    return {name: stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("eval", "evalsha")}


async def test_a_script_goes_by_its_digest_and_is_loaded_again_wherever_the_server_lost_it():
    trips = RoundTrips()
    echo = "return 'echo ' .. ARGV[1]"
    before = script_calls()

    assert await trips.run([("EVAL", echo, 0, "a"), ("EVAL", echo, 0, "b")]) == [b"echo a", b"echo b"]
    assert await trips.run([("EVAL", echo, 0, "c")]) == [b"echo c"]
    assert script_calls() == {"eval": before["eval"], "evalsha": before["evalsha"] + 3}

    # its server lost its scripts (a restart, a failover, a SCRIPT FLUSH): the command runs all the same
    get_redis().script_flush()
    assert await trips.run([("GET", "trips:none"), ("EVAL", echo, 0, "d")]) == [None, b"echo d"]

    assert script_calls()["eval"] == before["eval"]
