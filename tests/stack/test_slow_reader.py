"""One socket that stops reading holds up nobody else (issue #20), on the real stack under both servers.

A client completes the handshake, sends its `sync`, then never reads again, on the same web worker as an
observer, while a conversation they share receives ~1 MB/s. The observer keeps receiving everything, about
as fast as without the slow client; the worker closes the slow socket (4408) within its limits, its memory
growing by no more than the configured buffer; and once the slow client reconnects and syncs, it has every
message exactly once, in order.

Each server gets a stack of its own (ports, database, Redis db and vhost of this module)."""

import asyncio
import json
import re
import socket
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from websockets.client import ClientProtocol
from websockets.frames import Close, Frame
from websockets.protocol import State
from websockets.typing import Origin
from websockets.uri import parse_uri

from realtime.close_codes import CLOSE_GRACE_SECONDS
from tests import slot
from tests.stack.client import ChatClient, wait_until
from tests.stack.conftest import Stack, StackUser, own_vhost, stack_command

pytestmark = pytest.mark.stack

MAX_BYTES = 1024 * 1024  # the defaults a deployment runs with
MAX_AGE = 10.0
SEND_RATE = 100  # messages per second, of ~10 KB each: ~1 MB/s
BODY_LENGTH = 9_900
TOKEN = "stack-slow-reader-metrics-token"


@dataclass
class SlowStack:
    server: str
    env: dict[str, str]
    stack: Stack

    def worker_ws(self, index: int) -> str:
        return f"ws://127.0.0.1:{int(self.env['STACK_WORKER_BASE_PORT']) + index - 1}/ws/"

    def worker_pid(self, index: int) -> int:
        return int((Path(self.env["STACK_DIR"]) / "pids" / f"web-{index}.pid").read_text())

    def slow_closes(self, index: int) -> float:
        port = int(self.env["STACK_WORKER_BASE_PORT"]) + index - 1
        text = requests.get(
            f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
        ).text
        return sum(
            float(v) for v in re.findall(r"^parley_slow_socket_closes_total\{[^}]*\} (\S+)$", text, re.M)
        )


@pytest.fixture(scope="module", params=["uvicorn", "daphne"])
def slow_stack(request) -> Iterator[SlowStack]:
    server = request.param
    name = slot.name(f"parley_slow_{server}")
    base = slot.port(8480 if server == "uvicorn" else 8680)
    env = {
        "STACK_DIR": f"/tmp/parley-stack-slow-{server}{slot.SLOT or ''}",  # noqa: S108
        "STACK_SERVER": server,
        "STACK_PORT": str(base),
        "STACK_WORKER_BASE_PORT": str(base + 1),
        "STACK_MOTO_PORT": str(base + 10),
        "STACK_CELERY_METRICS_PORT": str(base + 9),
        "STACK_PERSISTENCE_METRICS_PORT": str(base + 8),
        "WORKERS": "2",
        "DATABASE_URL": f"postgres://root@127.0.0.1:5432/{name}",
        "REDIS_URL": slot.redis_url(10 if server == "uvicorn" else 11),
        "CELERY_BROKER_URL": f"amqp://guest:guest@127.0.0.1:5672/{name}",
        "METRICS_TOKEN": TOKEN,
        "JWT_ACCESS_MINUTES": "60",
        "THROTTLE_AUTH_IP": "100000/min",
        "THROTTLE_AUTH_USERNAME": "100000/min",
        # The sender streams ~100 messages/s from one socket: the per-socket rate limit is for people.
        "SOCKET_RATE_BURST": "100000",
        "SOCKET_RATE_PER_SECOND": "100000",
        "SOCKET_OUTBOX_MAX_BYTES": str(MAX_BYTES),
        "SOCKET_OUTBOX_MAX_AGE_SECONDS": str(MAX_AGE),
    }
    with own_vhost(name):
        stack_command("down", env=env)
        stack_command("up", env=env)
        try:
            with requests.Session() as http:
                url = f"http://127.0.0.1:{env['STACK_PORT']}"
                yield SlowStack(server, env, Stack(http, url=url, database_url=env["DATABASE_URL"]))
        finally:
            stack_command("down", env=env)


@dataclass
class StalledClient:
    """A raw WebSocket client that reads nothing once it has sent its `sync`, with a small receive buffer so
    that the server's buffers for it fill quickly."""

    url: str
    sock: socket.socket = field(init=False)
    protocol: ClientProtocol = field(init=False)
    early: list[Any] = field(init=False)  # frames that came with the handshake's answer

    def connect(self) -> None:
        uri = parse_uri(self.url)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(10)
        self.sock.connect((uri.host, uri.port))
        self.protocol = ClientProtocol(uri, origin=Origin("http://127.0.0.1"))
        self.protocol.send_request(self.protocol.connect())
        self._flush()
        while self.protocol.state is State.CONNECTING:
            self.protocol.receive_data(self.sock.recv(65536))
        self.early = [event for event in self.protocol.events_received() if isinstance(event, Frame)]
        self.protocol.send_text(json.dumps({"type": "sync", "since": {}}).encode())
        self._flush()  # and from here on, it never reads

    def read_to_the_end(self) -> tuple[list[dict[str, Any]], int | None]:
        """Read everything the server still sends: the messages, and the close code (None if the connection
        was dropped without one)."""
        messages: list[dict[str, Any]] = []
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if data:
                self.protocol.receive_data(data)
            else:
                self.protocol.receive_eof()
            events, self.early = self.early + self.protocol.events_received(), []
            for event in events:
                if event.opcode.name == "TEXT":
                    frame = json.loads(event.data)
                    if frame["type"] == "message.new":
                        messages.append(frame["message"])
                elif event.opcode.name == "CLOSE":
                    self.sock.close()
                    return messages, Close.parse(event.data).code
            if not data:
                self.sock.close()
                return messages, None

    def _flush(self) -> None:
        self.sock.sendall(b"".join(self.protocol.data_to_send()))


def rss_bytes(pid: int) -> int:
    found = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    assert found is not None, f"no RSS for process {pid}"
    return int(found.group(1)) * 1024


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


async def stream(sender: ChatClient, conversation_id: int, seconds: float, stop: asyncio.Event) -> list[dict]:
    """SEND_RATE messages a second, each carrying its send time, until `seconds` pass or `stop` is set."""
    loop = asyncio.get_running_loop()
    started, acked, sends = loop.time(), [], 0
    while loop.time() - started < seconds and not stop.is_set():
        body = f"{time.time():.6f} " + "x" * BODY_LENGTH
        acked.append(await sender.send(conversation_id, body))
        sends += 1
        await asyncio.sleep(max(0.0, started + sends / SEND_RATE - loop.time()))
    return acked


def latencies(observer: ChatClient, messages: list[dict]) -> list[float]:
    wanted = {m["id"] for m in messages}
    return [
        arrived - float(m["body"].split(" ", 1)[0])
        for m, arrived in zip(observer.received, observer.arrived_at, strict=True)
        if m["id"] in wanted
    ]


def progress(client: ChatClient, expected: list[dict]) -> str:
    return f"received {len(client.received)} of {len(expected)}, reconnected {client.reconnects} times"


def users(stack: Stack, count: int) -> list[StackUser]:
    return [stack.user() for _ in range(count)]


async def test_a_socket_that_stops_reading_holds_up_nobody_and_loses_nothing(slow_stack):
    stack = slow_stack.stack
    sender_user, observer_user, slow_user = users(stack, 3)
    conversation = stack.group(sender_user, observer_user, slow_user)
    sender = ChatClient(slow_stack.worker_ws(2), sender_user)
    observer = ChatClient(slow_stack.worker_ws(1), observer_user)  # the slow client's worker
    await sender.start()
    await observer.start()
    try:
        # given a baseline: the observer's latency with no slow client around
        calm = await stream(sender, conversation, 4, asyncio.Event())
        await wait_until(
            lambda: len(observer.received) >= len(calm), within=20, what=lambda: progress(observer, calm)
        )
        calm_p99 = p99(latencies(observer, calm))

        # when a client on the observer's worker stops reading while ~1 MB/s flows
        slow = StalledClient(slow_stack.worker_ws(1) + f"?v=2&token={slow_user.token}")
        await asyncio.to_thread(slow.connect)
        worker = slow_stack.worker_pid(1)
        rss_before, rss_peak, closes_before = rss_bytes(worker), 0, slow_stack.slow_closes(1)
        closed = asyncio.Event()

        async def watch() -> None:
            nonlocal rss_peak
            while not closed.is_set():
                rss_peak = max(rss_peak, rss_bytes(worker))
                if await asyncio.to_thread(slow_stack.slow_closes, 1) > closes_before:
                    closed.set()
                await asyncio.sleep(0.1)

        watcher = asyncio.create_task(watch())
        stalled_at = time.monotonic()
        busy = await stream(sender, conversation, 3 * MAX_AGE, closed)
        await asyncio.wait_for(watcher, 10)
        closed_after = time.monotonic() - stalled_at
        # A client this slow is slow to come back too: it reads again a while after the close, within the
        # grace the server gives it (longer than autobahn's default close-handshake timeout under Daphne).
        await asyncio.sleep(CLOSE_GRACE_SECONDS / 4)
        # the slow client reads again at last: what was buffered for it, then the close
        seen_before_close, close_code = await asyncio.to_thread(slow.read_to_the_end)

        # then the observer got everything, about as fast as before
        await wait_until(
            lambda: len(observer.received) >= len(calm) + len(busy),
            within=20,
            what=lambda: progress(observer, calm + busy),
        )
        busy_p99 = p99(latencies(observer, busy))
        assert [m["id"] for m in observer.received] == [m["id"] for m in calm + busy]
        # Within 2x of the run without it, or a quarter second on a machine busy with other work: before the
        # fix, the observer got nothing at all for seconds on end.
        assert busy_p99 <= max(2 * calm_p99, calm_p99 + 0.25), (calm_p99, busy_p99)
        print(  # for the record in the test report (docs/benchmarks.md quotes it)
            f"{slow_stack.server}: observer p99 {calm_p99 * 1000:.1f} ms alone, {busy_p99 * 1000:.1f} ms "
            f"beside a stalled socket; closed {close_code} after {closed_after:.1f} s; worker RSS "
            f"+{(rss_peak - rss_before) / 2**20:.1f} MiB"
        )
        # and the slow socket was closed as too slow, within the limits, its buffers bounded
        assert close_code == 4408
        assert closed_after <= MAX_AGE + 5, closed_after
        assert rss_peak - rss_before <= MAX_BYTES + 4 * 1024 * 1024, (rss_before, rss_peak)

        # when it reconnects and syncs from what it saw
        again = ChatClient(slow_stack.worker_ws(1), slow_user)
        again.received.extend(seen_before_close)
        if seen_before_close:  # its cursor: the last seq it got
            again.cursors[str(conversation)] = seen_before_close[-1]["seq"]
        await again.start()
        try:
            first = seen_before_close[0]["seq"] if seen_before_close else busy[0]["seq"]
            expected = [m for m in busy if m["seq"] >= first]
            await wait_until(
                lambda: len(again.received) >= len(expected),
                within=20,
                what=lambda: progress(again, expected),
            )
            # then it has every message exactly once, in order
            assert [m["id"] for m in again.received] == [m["id"] for m in expected]
        finally:
            await again.stop()
    finally:
        await sender.stop()
        await observer.stop()
