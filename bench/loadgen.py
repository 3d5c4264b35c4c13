"""The load generator: asyncio on uvloop, picows WebSocket clients, open-loop sends.

It speaks docs/protocol.md (message.send → message.ack to the sender, message.new to every member's socket,
ping → pong) to Parley and to the baseline (bench/baseline), connecting each client straight to a worker port,
round-robin over the workers (no nginx in front of either server).

Every body carries the run id, the message's index and its *intended* send time (open loop: if the generator
falls behind its schedule, the delay counts against the latency, and it is reported as `send_lag`):

    b<run>:<index>:<intended send time, ns since the generator started>:xxxx…   (100 characters)

Frames are not JSON-decoded on the hot path: the type is read from the frame's head and the body marker found
with a regular expression, so the generator spends its CPU on sockets rather than on parsing.

Bounded by construction: only 127.0.0.1, at most MAX_CLIENTS sockets, MAX_RATE sends/s and MAX_SECONDS
per run."""

from __future__ import annotations

import asyncio
import random
import re
import resource
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from picows import WSError, WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

MAX_CLIENTS = 5000
MAX_RATE = 20_000  # sends/s
MAX_SECONDS = 60  # per run, warm-up included
BODY_SIZE = 100
HOST = "127.0.0.1"

BODY_RE = re.compile(rb'"body": ?"b(\d+):(\d+):')
ERROR_RE = re.compile(rb'"code": ?"([a-z_]+)".*?"ref": ?(?:"[0-9a-f]{8}-0000-4000-8000-([0-9a-f]{12})"|null)')
ID_RE = re.compile(rb'"id": ?"([0-9a-f-]{36})"')
T0 = time.perf_counter_ns()


def now_ns() -> int:
    return time.perf_counter_ns() - T0


@dataclass(frozen=True)
class Target:
    """One client's socket: its URL (a worker port on 127.0.0.1) and its room."""

    url: str
    room: int
    position: int  # its index among the room's members, 0..room_size-1
    headers: dict[str, str] = field(default_factory=dict)


class Client(WSListener):
    def __init__(self, gen: Generator, target: Target) -> None:
        self.gen = gen
        self.target = target
        self.bit = 1 << target.position
        self.transport: WSTransport | None = None
        self.pongs = 0
        self.closed = False

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.TEXT:
            self.gen.on_text(self, frame.get_payload_as_bytes())
        elif frame.msg_type == WSMsgType.CLOSE:
            self.closed = True
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.closed = True
        self.gen.disconnects += 1

    def send_text(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.send(WSMsgType.TEXT, data)


class Run:
    """The book-keeping of one open-loop run: every message's schedule, receipts and ack."""

    def __init__(self, run_id: int, room_size: int, measure_from: int) -> None:
        self.run_id = run_id
        self.room_size = room_size
        self.measure_from = measure_from  # messages scheduled before this (ns) are warm-up
        self.t_send: list[int] = []
        self.room: list[int] = []
        self.mask: list[int] = []
        self.count: list[int] = []
        self.last: list[int] = []
        self.t_ack: list[int] = []
        self.lat: list[int] = []  # per delivery, measured window only
        self.ack_lat: list[int] = []
        self.send_lag: list[int] = []
        self.received = 0
        self.acked = 0
        self.duplicates = 0
        self.duplicate_acks = 0
        self.misrouted = 0
        self.errors = 0
        self.error_codes: dict[str, int] = {}
        self.refused: list[bool] = []
        self.refused_count = 0
        self.on_ack_id: Any = None  # callback(message id, ack time) for the persistence poller
        self.expected = 0  # deliveries, once every message has been sent
        self.total = 0  # messages, once every message has been sent
        self.complete = asyncio.Event()


class Generator:
    def __init__(self) -> None:
        self.clients: list[Client] = []
        self.run: Run | None = None
        self.stale = 0  # frames of an earlier run, arriving after it was closed
        self.disconnects = 0
        self.other_frames = 0
        self.frames = 0
        self.connect_retries = 0

    # --- connections

    async def connect(self, targets: list[Target], concurrency: int = 20) -> list[Client]:
        if len(self.clients) + len(targets) > MAX_CLIENTS:
            raise ValueError(f"at most {MAX_CLIENTS} sockets")
        semaphore = asyncio.Semaphore(concurrency)

        async def one(target: Target) -> Client:
            if not target.url.startswith(f"ws://{HOST}:"):
                raise ValueError("the generator only targets 127.0.0.1")
            async with semaphore:
                for _ in range(3):
                    client = Client(self, target)
                    try:
                        await asyncio.wait_for(
                            ws_connect(
                                lambda: client,  # noqa: B023 - used before the next iteration
                                target.url,
                                extra_headers=target.headers,
                                websocket_handshake_timeout=30,
                            ),
                            35,
                        )
                    except (TimeoutError, OSError, WSError):
                        pass
                    if client.transport is not None and not client.closed:
                        return client
                    # Refused or closed at once: Daphne drops a handshake its app has not accepted within
                    # 5 s (websocket_connect_timeout), which a busy server's connect path can exceed.
                    self.connect_retries += 1
                    await asyncio.sleep(0.5)
                raise ConnectionError(f"could not connect {target.url.split('?')[0]} after 3 attempts")

        clients = list(await asyncio.gather(*(one(t) for t in targets)))
        self.clients.extend(clients)
        closed = [c for c in clients if c.closed or c.transport is None]
        if closed:
            raise ConnectionError(
                f"{len(closed)} of {len(clients)} sockets were closed by the server at once"
            )
        await self.ready(clients)
        return clients

    async def ready(self, clients: list[Client], limit: float = 60) -> None:
        """Wait until every socket answers a ping: the server has finished its connect() (groups joined)."""
        before = [c.pongs for c in clients]
        for client in clients:
            # What every Parley client does first (docs/protocol.md): until then a socket holds its
            # conversations' messages back (up to 2 s). The baseline answers it with an ignored error.
            client.send_text(b'{"type":"sync","since":{}}')
            client.send_text(b'{"type":"ping"}')
        deadline = time.monotonic() + limit
        while any(c.pongs == b for c, b in zip(clients, before, strict=True)):
            if time.monotonic() > deadline:
                missing = sum(c.pongs == b for c, b in zip(clients, before, strict=True))
                raise TimeoutError(f"{missing} sockets did not answer ping")
            await asyncio.sleep(0.05)

    async def close(self, clients: list[Client]) -> None:
        for client in clients:
            if client.transport is not None and not client.closed:
                client.transport.send_close()
                client.transport.disconnect()
        self.clients = [c for c in self.clients if c not in set(clients)]
        await asyncio.sleep(0.2)

    # --- frames

    def on_text(self, client: Client, data: bytes) -> None:
        self.frames += 1
        head = data[:32]
        run = self.run
        if b"message.new" in head:
            kind = 1
        elif b"message.ack" in head:
            kind = 2
        elif b"pong" in head:
            client.pongs += 1
            return
        elif b'"error"' in head:
            if run is not None:
                self._on_error(run, data)
            return
        else:
            self.other_frames += 1  # presence, typing...: not ours
            return
        match = BODY_RE.search(data)
        if match is None or run is None or int(match[1]) != run.run_id:
            self.stale += 1
            return
        index = int(match[2])
        now = now_ns()
        if kind == 1:
            if run.room[index] != client.target.room:
                run.misrouted += 1
                return
            if run.mask[index] & client.bit:
                run.duplicates += 1
                return
            run.mask[index] |= client.bit
            run.count[index] += 1
            run.received += 1
            run.last[index] = now
            if run.received == run.expected and run.acked + run.refused_count == run.total:
                run.complete.set()
            sent = run.t_send[index]
            if sent >= run.measure_from:
                run.lat.append(now - sent)
        else:
            if run.t_ack[index]:
                run.duplicate_acks += 1
                return
            run.t_ack[index] = now
            run.acked += 1
            if run.received == run.expected and run.acked + run.refused_count == run.total:
                run.complete.set()
            sent = run.t_send[index]
            if sent >= run.measure_from:
                run.ack_lat.append(now - sent)
            if run.on_ack_id is not None:
                id_match = ID_RE.search(data)
                if id_match is not None:
                    run.on_ack_id(id_match[1].decode(), now)

    @staticmethod
    def _on_error(run: Run, data: bytes) -> None:
        """An error frame answers one of our sends (its `ref` is the client_id, which ends in the index):
        that message was refused, not sent, so its deliveries are not expected."""
        match = ERROR_RE.search(data)
        code = match[1].decode() if match else "?"
        run.error_codes[code] = run.error_codes.get(code, 0) + 1
        run.errors += 1
        if match and match[2]:
            index = int(match[2], 16)
            if index < len(run.refused) and not run.refused[index]:
                run.refused[index] = True
                run.refused_count += 1
                run.expected -= run.room_size

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
    ) -> dict[str, Any]:
        """Send `rate` messages/s for warmup + seconds, round-robin over `senders`, then wait up to `drain`
        seconds for every delivery; returns the run's figures."""
        if not 0 < rate <= MAX_RATE or not 0 < warmup + seconds <= MAX_SECONDS:
            raise ValueError("rate or duration out of bounds")
        run_id = random.randrange(1, 2**31)  # unique per run: Parley remembers client_ids for 24 h
        start = now_ns() + 20_000_000
        interval = 1e9 / rate
        total = int(rate * (warmup + seconds))
        run = Run(run_id, room_size, measure_from=start + int(warmup * 1e9))
        if persistence is not None:
            run.on_ack_id = persistence.add
        self.run = run
        usage0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        templates = [
            (c, f'{{"type":"message.send","conversation":{c.target.room},"body":"b{run_id}:'.encode())
            for c in senders
        ]
        tag_len = len(f"b{run_id}:")
        sent = 0
        while sent < total:
            now = now_ns()
            due = min(total, int((now - start) / interval) + 1) if now >= start else 0
            while sent < due:
                client, prefix = templates[sent % len(templates)]
                intended = start + int(sent * interval)
                run.t_send.append(intended)
                run.room.append(client.target.room)
                run.mask.append(0)
                run.count.append(0)
                run.last.append(0)
                run.t_ack.append(0)
                run.refused.append(False)
                marker = f"{sent}:{intended}:"
                body = marker + "x" * max(0, BODY_SIZE - tag_len - len(marker))
                client_id = f"{run_id:08x}-0000-4000-8000-{sent:012x}"
                client.send_text(prefix + f'{body}","client_id":"{client_id}"}}'.encode())
                if intended >= run.measure_from:
                    run.send_lag.append(now_ns() - intended)
                sent += 1
            if sent < total:
                await asyncio.sleep(max(0.0, (start + sent * interval - now_ns()) / 1e9))
        send_end = time.monotonic()
        run.expected += total * room_size  # less any refused while sending
        expected = run.expected
        run.total = total
        if run.received == expected and run.acked + run.refused_count == total:
            run.complete.set()
        try:
            await asyncio.wait_for(run.complete.wait(), drain)
        except TimeoutError:
            pass
        usage1, wall1 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        on_time = run.received
        await (
            self.quiesce()
        )  # a late delivery still counts (and its latency too); only what never came is lost
        self.run = None
        cpu = (usage1.ru_utime + usage1.ru_stime) - (usage0.ru_utime + usage0.ru_stime)
        return _summarise(
            run,
            rate=rate,
            seconds=seconds,
            total=total,
            expected=expected,
            drain_used=wall1 - send_end,
            generator_cpu=cpu / (wall1 - wall0),
            late=run.received - on_time,
        )

    async def quiesce(self, quiet: float = 0.5, limit: float = 15) -> None:
        """Wait until no frame has arrived for `quiet` seconds (at most `limit`): an overloaded server's
        backlog drains before the next run starts."""
        deadline = time.monotonic() + limit
        last = -1
        while self.frames != last and time.monotonic() < deadline:
            last = self.frames
            await asyncio.sleep(quiet)


def _pct(values: list[int], q: float) -> float | None:
    return round(float(np.percentile(np.asarray(values, dtype=np.int64), q)) / 1e6, 2) if values else None


def _summarise(run: Run, **figures: Any) -> dict[str, Any]:
    total, expected, seconds = figures["total"], run.expected, figures["seconds"]
    measured = [i for i, t in enumerate(run.t_send) if t >= run.measure_from]
    complete = [run.last[i] - run.t_send[i] for i in measured if run.count[i] == run.room_size]
    delivered_measured = len(run.lat)
    lost = expected - run.received
    return {
        "rate": figures["rate"],
        "target_deliveries_per_s": figures["rate"] * run.room_size,
        "seconds": seconds,
        "sent": total,
        "acked": run.acked,
        "deliveries_expected": expected,
        "deliveries_received": run.received,
        "lost": lost,
        "late": figures["late"],  # received after the drain timeout (they count in latency, not in lost)
        "duplicates": run.duplicates + run.duplicate_acks,
        "misrouted": run.misrouted,
        "errors": run.errors,
        "error_codes": run.error_codes,
        "refused": run.refused_count,  # error-answered sends: not sent, so not expected (the retry case)
        "delivered_per_s": round(delivered_measured / seconds, 1),
        "latency_ms": {q: _pct(run.lat, v) for q, v in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))},
        "all_members_ms": {q: _pct(complete, v) for q, v in (("p50", 50), ("p99", 99), ("max", 100))},
        "ack_ms": {q: _pct(run.ack_lat, v) for q, v in (("p50", 50), ("p99", 99), ("max", 100))},
        "send_lag_ms": {q: _pct(run.send_lag, v) for q, v in (("p99", 99), ("max", 100))},
        "generator_cpu": round(figures["generator_cpu"], 3),
        "drain_s": round(figures["drain_used"], 2),
        "measured_messages": len(measured),
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
        return {
            "stored": self.stored,
            "not_stored": self.pending(),
            "lag_ms": {q: _pct(self.lags, v) for q, v in (("p50", 50), ("p99", 99), ("max", 100))},
        }
