"""The bench's load generator against a real server (the Socket.IO peer, one Node process on the test Redis):
it counts every delivery once, notices a delivery that never came, and its slow reader really stalls.

Not a benchmark: a few hundred messages, nothing timed."""

import asyncio
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import loadgen, slowreader

ROOT = Path(__file__).resolve().parents[2]
PEER = ROOT / "bench" / "peers" / "socketio"
ROOM_SIZE = 10


def _npm_ci(folder: Path) -> None:
    """The generator's and the peer's locked packages (`make bench` installs them the same way)."""
    if not (folder / "node_modules" / ".package-lock.json").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=folder, check=True, capture_output=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def peer() -> Iterator[int]:
    for folder in (loadgen.ENGINE.parent, PEER):
        _npm_ci(folder)
    port = _free_port()
    redis_url = os.environ["REDIS_URL"].rsplit("/", 1)[0]  # pub/sub ignores the db number
    proc = subprocess.Popen(
        ["node", str(PEER / "server.mjs"), "--port", str(port), "--redis", redis_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    assert b"socket.io peer on" in proc.stdout.readline()  # it prints once it listens
    yield port
    proc.terminate()
    proc.wait(10)


def _targets(port: int, count: int) -> list[loadgen.Target]:
    return [
        loadgen.Target(
            f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket&user={i}&room={i // ROOM_SIZE}",
            i // ROOM_SIZE,
            i % ROOM_SIZE,
            protocol="socketio",
        )
        for i in range(count)
    ]


async def test_every_member_receives_every_message_once(peer: int) -> None:
    # given two full rooms
    gen = loadgen.Generator()
    try:
        clients = await gen.connect(_targets(peer, 2 * ROOM_SIZE))
        # when each client sends in turn
        result = await gen.run_load(clients, rate=40, seconds=1, warmup=0.25, drain=5, room_size=ROOM_SIZE)
    finally:
        await gen.aclose()
    # then every message was acked and reached its room's ten sockets (the sender's included), once
    assert result["sent"] == 50
    assert result["acked"] == 50
    assert result["deliveries_received"] == result["deliveries_expected"] == 500
    assert (result["lost"], result["duplicates"], result["misrouted"], result["errors"]) == (0, 0, 0, 0)
    assert result["latency_ms"]["p50"] is not None
    assert result["delivered_per_s"] == 400  # the measured second: 40 messages × 10 members


async def test_a_delivery_that_never_comes_is_counted_lost(peer: int) -> None:
    # given two rooms, one socket of room 0 closed before the run
    gen = loadgen.Generator()
    try:
        clients = await gen.connect(_targets(peer, 2 * ROOM_SIZE))
        await gen.close(clients[:1])
        senders = clients[1:]
        # when the others send in turn (list order: message k comes from senders[k % 19])
        result = await gen.run_load(senders, rate=38, seconds=1, warmup=0.01, drain=2, room_size=ROOM_SIZE)
    finally:
        await gen.aclose()
    # then each room-0 message is one delivery short, and nothing else
    room0_messages = sum(1 for k in range(result["sent"]) if senders[k % len(senders)].target.room == 0)
    assert room0_messages > 0
    assert result["lost"] == room0_messages
    assert result["acked"] == result["sent"]


async def test_the_slow_reader_stalls_and_the_others_still_receive(peer: int) -> None:
    # given a room with a slow reader in it
    gen = loadgen.Generator()
    reader = slowreader.SlowReader(_targets(peer, 1)[0])
    try:
        clients = await gen.connect(_targets(peer, ROOM_SIZE))
        await asyncio.to_thread(reader.open)
        # when the room receives ~200 kB of traffic
        result = await gen.run_load(
            clients, rate=50, seconds=1, warmup=0.01, drain=5, room_size=ROOM_SIZE, body_size=4000
        )
        # then the reader's small receive buffer is full and unread, it is still connected, and the room's
        # readers got everything (Socket.IO buffers for the stalled one without waiting on it)
        deadline = time.monotonic() + 5
        while reader.unread_bytes() < 2048 and time.monotonic() < deadline:  # noqa: ASYNC110 - kernel state
            await asyncio.sleep(0.05)
        assert reader.unread_bytes() >= 2048
        assert reader.state() == reader.server_state() == "established"
        assert result["lost"] == 0
    finally:
        reader.close()
        await gen.aclose()
