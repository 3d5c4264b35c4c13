"""The load generator, as the bench drives it: a Node process (bench/generator/generator.mjs) holds the
sockets and sends on an open-loop schedule; this module starts it, hands it targets and runs, and turns its
raw latencies into the figures the report shows.

It speaks docs/protocol.md (message.send → message.ack to the sender, message.new to every member's socket,
ping → pong) to Parley and to the baseline (bench/baseline), and Socket.IO's packets to the Socket.IO peer
(bench/peers/socketio): the protocol is the target's `protocol`, each client connects straight to a worker
port, round-robin over the workers (no nginx in front of any server).

Every body carries the run id, the message's index and its *intended* send time (open loop: if the generator
falls behind its schedule, the delay counts against the latency, and it is reported as `send_lag`):

    b<run>:<index>:<intended send time, CLOCK_MONOTONIC ns>:xxxx…   (100 characters)

Why Node and not Python: the picows/uvloop generator this replaced spent ~34 µs of CPU per delivery (81 % of
a core at 23,420 deliveries/s), so it could not have measured Socket.IO on 2 cores; the Node engine spends
4–6 µs (0.45 cores at 80,000 deliveries/s against Socket.IO, W=2; docs/benchmarks.md).

Bounded by construction: only 127.0.0.1, at most 5,000 sockets, 20,000 sends/s and 60 s per run (enforced in
the engine)."""

from __future__ import annotations

import array
import asyncio
import base64
import itertools
import json
import random
import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

BODY_SIZE = 100
HOST = "127.0.0.1"
ENGINE = Path(__file__).resolve().parent / "generator" / "generator.mjs"
Protocol = Literal["json", "socketio"]
Order = Literal["list", "random"]


def now_ns() -> int:
    """The generator's clock: CLOCK_MONOTONIC, as the Node engine's ack times."""
    return time.monotonic_ns()


@dataclass(frozen=True)
class Target:
    """One client's socket: its URL (a worker port on 127.0.0.1), its room and the protocol it speaks."""

    url: str
    room: int
    position: int  # its index among the room's members, 0..room_size-1
    headers: dict[str, str] = field(default_factory=dict)
    protocol: Protocol = "json"


@dataclass(frozen=True, eq=False)
class Client:
    """A socket held by the engine."""

    id: int
    target: Target


class Generator:
    """The Node engine as a child process, one JSON command per line (see generator.mjs)."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._on_acks: Any = None
        self.connect_retries = 0

    async def _start(self) -> asyncio.subprocess.Process:
        if self.proc is None:
            self.proc = await asyncio.create_subprocess_exec(
                "node", str(ENGINE), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                limit=2**28, start_new_session=True,
            )  # fmt: skip
            self._reader = asyncio.create_task(self._read(self.proc))
        return self.proc

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while line := await proc.stdout.readline():
            message = json.loads(line)
            if message.get("ev") == "acks":
                if self._on_acks is not None:
                    for message_id, acked_at in message["items"]:
                        self._on_acks(message_id, acked_at)
                continue
            future = self._waiting.pop(message["id"], None)
            if future is not None and not future.done():
                future.set_result(message)
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(RuntimeError("the generator's engine exited"))

    async def _call(self, cmd: str, **params: Any) -> dict[str, Any]:
        proc = await self._start()
        assert proc.stdin is not None
        command_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[command_id] = future
        proc.stdin.write(json.dumps({"id": command_id, "cmd": cmd, **params}).encode() + b"\n")
        await proc.stdin.drain()
        reply = await future
        if "error" in reply:
            raise ConnectionError(reply["error"]) if cmd == "connect" else RuntimeError(reply["error"])
        return reply

    async def aclose(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._reader is not None:
            await self._reader
        self.proc = None

    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    # --- connections

    async def connect(self, targets: list[Target], concurrency: int = 20) -> list[Client]:
        """Open every target's socket and wait until each answers a ping (the server has joined its rooms)."""
        if not targets:
            return []
        protocols = {t.protocol for t in targets}
        if len(protocols) != 1:
            raise ValueError("one protocol per connect")
        reply = await self._call(
            "connect",
            protocol=protocols.pop(),
            targets=[
                {"url": t.url, "room": t.room, "position": t.position, "headers": t.headers} for t in targets
            ],
            concurrency=concurrency,
        )
        self.connect_retries += reply["retries"]
        return [Client(cid, t) for cid, t in zip(reply["clients"], targets, strict=True)]

    async def close(self, clients: list[Client]) -> None:
        await self._call("close", clients=[c.id for c in clients])

    async def stats(self) -> dict[str, int]:
        reply = await self._call("stats")
        return {k: v for k, v in reply.items() if k != "id"}

    # --- an open-loop run

    async def run_load(
        self,
        senders: list[Client],
        *,
        rate: float,
        seconds: float,
        warmup: float,
        drain: float,
        room_size: int,
        persistence: PersistencePoller | None = None,
        order: Order = "list",
        body_size: int = BODY_SIZE,
    ) -> dict[str, Any]:
        """Send `rate` messages/s for warmup + seconds from `senders` (in their order, round-robin, or each
        message from a random one), then wait up to `drain` seconds for every delivery; the run's figures."""
        run_id = random.randrange(1, 2**31)  # unique per run: Parley remembers client_ids for 24 h
        self._on_acks = persistence.add if persistence is not None else None
        try:
            reply = await self._call(
                "run", senders=[c.id for c in senders], rate=rate, seconds=seconds, warmup=warmup,
                drain=drain, room_size=room_size, start=now_ns() + 50_000_000, order=order,
                run_id=run_id, stream_acks=persistence is not None, body_size=body_size,
            )  # fmt: skip
        finally:
            self._on_acks = None
        return summarise(reply["result"], rate=rate, seconds=seconds, room_size=room_size)


def _ms(encoded: str) -> array.array[float]:
    values = array.array("f")
    values.frombytes(base64.b64decode(encoded))
    return values


def quantiles(values: Sequence[float], names: tuple[str, ...]) -> dict[str, float | None]:
    """Percentiles with linear interpolation between closest ranks (numpy's default), and the max."""
    if not values:
        return dict.fromkeys(names)
    cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else [values[0]] * 99
    points = {"p50": cuts[49], "p90": cuts[89], "p99": cuts[98], "max": max(values)}
    return {name: round(float(points[name]), 2) for name in names}


def _by_second(latencies: Sequence[float], sent_at: Sequence[float], seconds: float) -> list[float | None]:
    """p99 of the deliveries of the messages scheduled in each second of the measured window: flat when the
    server keeps up, growing when a queue builds (a rate it cannot sustain, whatever the step's p99 says)."""
    buckets: list[list[float]] = [[] for _ in range(max(1, round(seconds)))]
    for latency, sent in zip(latencies, sent_at, strict=True):
        buckets[min(len(buckets) - 1, int(sent / 1000))].append(latency)
    return [quantiles(bucket, ("p99",))["p99"] for bucket in buckets]


def summarise(raw: dict[str, Any], *, rate: float, seconds: float, room_size: int) -> dict[str, Any]:
    """The engine's counters and raw latencies (ms) as one run's figures."""
    arrays = {name: _ms(encoded) for name, encoded in raw["arrays"].items()}
    return {
        "rate": rate,
        "target_deliveries_per_s": rate * room_size,
        "seconds": seconds,
        "sent": raw["sent"],
        "acked": raw["acked"],
        "deliveries_expected": raw["deliveries_expected"],
        "deliveries_received": raw["deliveries_received"],
        "lost": raw["deliveries_expected"] - raw["deliveries_received"],
        "late": raw["late"],  # received after the drain timeout (they count in latency, not in lost)
        "duplicates": raw["duplicates"],
        "misrouted": raw["misrouted"],
        "errors": raw["errors"],
        "error_codes": raw["error_codes"],
        "refused": raw["refused"],  # error-answered sends: not sent, so not expected (the retry case)
        "delivered_per_s": round(len(arrays["lat"]) / seconds, 1),
        "latency_ms": quantiles(arrays["lat"], ("p50", "p90", "p99", "max")),
        "all_members_ms": quantiles(arrays["all"], ("p50", "p99", "max")),
        "ack_ms": quantiles(arrays["ack"], ("p50", "p99", "max")),
        "send_lag_ms": quantiles(arrays["lag"], ("p99", "max")),
        "p99_ms_by_second": _by_second(arrays["lat"], arrays["lat_sent"], seconds),
        "generator_cpu": round(raw["cpu_s"] / raw["wall_s"], 3),
        "generator_cpu_s": round(raw["cpu_s"], 3),
        "drain_s": round(raw["drain_s"], 2),
        "measured_messages": raw["measured_messages"],
        "closed_senders": {"at_start": raw["closed_senders"], "at_end": raw["closed_at_end"]},
    }


class PersistencePoller:
    """Persistence lag: acked message ids are looked up in PostgreSQL every `interval` seconds from a thread;
    the lag of a message is (first poll that sees its row) − (its ack). Resolution: about `interval`."""

    def __init__(self, dsn: str, interval: float = 0.1) -> None:
        self.dsn = dsn
        self.interval = interval
        self._lock = threading.Lock()
        self._pending: dict[str, int] = {}
        self.lags: list[int] = []
        self.stored = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, message_id: str, acked_at: int) -> None:
        with self._lock:
            self._pending[message_id] = acked_at

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="persistence-poller", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self._stop.is_set():
                with self._lock:
                    ids = list(self._pending)
                if ids:
                    rows = conn.execute(
                        "SELECT id::text FROM messaging_message WHERE id = ANY(%s::uuid[])", (ids,)
                    ).fetchall()
                    seen = now_ns()
                    with self._lock:
                        for (message_id,) in rows:
                            acked = self._pending.pop(message_id, None)
                            if acked is not None:
                                self.lags.append(seen - acked)
                                self.stored += 1
                self._stop.wait(self.interval)

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    async def finish(self, wait: float) -> dict[str, Any]:
        """Wait up to `wait` seconds for every acked message to be stored, then report."""
        deadline = time.monotonic() + wait
        while self.pending() and time.monotonic() < deadline:  # noqa: ASYNC110 - the poller thread updates it
            await asyncio.sleep(0.1)
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5)
        lags = [lag / 1e6 for lag in self.lags]
        return {
            "stored": self.stored,
            "not_stored": self.pending(),
            "lag_ms": quantiles(lags, ("p50", "p99", "max")),
        }
