"""`make bench`: Parley against Socket.IO (+ redis-adapter) and the textbook Channels chat, back to back, at
W = 1 and W = 2 workers.

    python -m bench.run                  # the standard set (~16 minutes), JSON + docs/benchmarks.md + plots
    python -m bench.run --quick          # one repeat, short steps: for development
    python -m bench.run --workers 2 --servers parley,socketio --repeats 1 --no-report

For each W the servers are up at once (on their own ports) and every scenario runs each server in turn,
repeat after repeat, so they see the same machine load. Clients connect straight to the worker ports,
round-robin (nginx is not in the path of any).

Scenarios: (c) RSS per idle connection, (a) fixed load, (b) ramp: ×2 until p99 > 250 ms or any
loss/duplicate/error, then two halvings of the gap (geometric), (d) REST latency under (a) (Parley only),
(e) issue #20's slow readers: one per worker, stalled in a busy room, during a fixed load and a ramp."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import signal
import subprocess
import time
from pathlib import Path
from statistics import median
from typing import Any

import aiohttp
import psutil
import uvloop

from bench import loadgen, slowreader
from bench.servers import (
    DATABASE_URL,
    PRIVATE_REDIS,
    REDIS_PORT,
    ROOT,
    Baseline,
    BenchRedis,
    CpuWatch,
    Parley,
    Server,
    SocketIO,
    SocketIODurable,
    log,
    parley_source,
    prepare_services,
    release_services,
)
from bench.summary import summarise

RESULTS = ROOT / "bench" / "results"
P99_LIMIT_MS = 250.0
ORIGIN = {"Origin": "http://127.0.0.1"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", default="1,2", help="comma-separated W values")
    parser.add_argument("--repeats", type=int, default=2, help="fixed-load repeats")
    parser.add_argument("--ramp-repeats", type=int, default=2)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--room-size", type=int, default=10)
    parser.add_argument("--rate", type=float, default=100.0, help="fixed-load sends/s")
    parser.add_argument("--seconds", type=float, default=6.0, help="fixed-load measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--step-seconds", type=float, default=8.0, help="ramp step measured seconds")
    parser.add_argument("--step-warmup", type=float, default=1.0, help="ramp step warm-up seconds")
    parser.add_argument("--ramp-start", type=float, default=200.0)
    parser.add_argument("--ramp-factor", type=float, default=2.0)
    parser.add_argument("--ramp-refine", type=int, default=2, help="halvings of the gap after a failure")
    parser.add_argument("--ramp-max", type=float, default=16000.0, help="sends/s where the ramp stops anyway")
    parser.add_argument(
        "--order",
        choices=["random", "spread", "list"],
        default="random",
        help="who sends each message: random (a random client each time), spread (round-robin, consecutive "
        "messages in different rooms), list (round-robin in client order: each room's members one after "
        "another, so rooms get bursts; the order of the runs before 2026-12-02)",
    )
    parser.add_argument("--idle", type=int, default=2000, help="idle connections for RSS; 0 to skip")
    parser.add_argument(
        "--idle-repeats",
        type=int,
        default=2,
        help="samples of (c), each on a freshly started server (RSS keeps the connects' high-water mark)",
    )
    parser.add_argument(
        "--slow-readers",
        default="2",
        help="the W values at which to run issue #20's scenario (a fixed load and a ramp with one stalled "
        "reader per worker), comma-separated; '' for none",
    )
    parser.add_argument(
        "--budget", type=float, default=1200.0, help="seconds; later repeats are skipped past it"
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--servers", default="socketio,socketio-durable,baseline,parley")
    parser.add_argument("--no-fresh", action="store_true", help="keep the bench database and queues")
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument(
        "--parley-ref",
        default=os.environ.get("PARLEY_REF", ""),
        help="measure a clean export of this git ref (e.g. HEAD) instead of the work tree",
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.ramp_repeats, args.seconds, args.step_seconds = 1, 1, 5.0, 3.0
    return args


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.gen = loadgen.Generator()
        self.started = time.monotonic()
        self.parley_clients: list[dict[str, Any]] = []

    def over_budget(self) -> bool:
        return time.monotonic() - self.started > self.args.budget

    # --- targets

    def target(self, server: Server, i: int, port: int) -> loadgen.Target:
        """Client i: room i // room_size, position i % room_size, on the given worker port."""
        size = self.args.room_size
        room, position = i // size, i % size
        if isinstance(server, Parley):
            client = self.parley_clients[i]
            url = f"ws://127.0.0.1:{port}/ws/?v=2&token={client['token']}"
            return loadgen.Target(url, client["conversation"], position, ORIGIN)
        if server.protocol == "socketio":
            url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket&user={i}&room={room}"
            return loadgen.Target(url, room, position, protocol="socketio")
        return loadgen.Target(f"ws://127.0.0.1:{port}/ws/?user={i}&room={room}", room, position)

    def targets(self, server: Server, count: int) -> list[loadgen.Target]:
        ports = server.worker_ports()
        return [self.target(server, i, ports[i % len(ports)]) for i in range(count)]

    def senders(self, clients: list[loadgen.Client]) -> tuple[list[loadgen.Client], loadgen.Order]:
        """The clients in the order the engine sends from them (--order)."""
        if self.args.order == "spread":  # position by position: consecutive messages go to different rooms
            return sorted(clients, key=lambda c: (c.target.position, c.target.room)), "list"
        return clients, "random" if self.args.order == "random" else "list"

    # --- scenarios

    async def idle(self, server: Server) -> tuple[dict[str, Any], list[loadgen.Client]]:
        """(c) RSS per idle connection: the workers' RSS before and after `idle` connections, settled.
        The first `clients` sockets stay open as the load clients; the rest are closed."""
        await asyncio.sleep(1)
        before = server.rss()
        started = time.monotonic()
        self.gen.connect_retries = 0
        clients = await self.gen.connect(self.targets(server, self.args.idle))
        connect_s = time.monotonic() - started
        await asyncio.sleep(3)
        after = server.rss()
        await self.gen.close(clients[self.args.clients :])
        per = (after - before) / len(clients)
        log(
            f"{server.name} idle: {len(clients)} sockets, {per / 1024:.1f} KiB each, "
            f"connected in {connect_s:.1f}s"
        )
        return {
            "connections": len(clients),
            "rss_before_mib": round(before / 2**20, 1),
            "rss_after_mib": round(after / 2**20, 1),
            "kib_per_connection": round(per / 1024, 1),
            "connect_seconds": round(connect_s, 1),
            "connects_per_s": round(len(clients) / connect_s, 1),
            "connect_retries": self.gen.connect_retries,
        }, clients[: self.args.clients]

    async def idle_samples(self, server: Server) -> tuple[dict[str, Any], list[loadgen.Client]]:
        """(c) `--idle-repeats` times, each on a fresh start of the server: the medians of the samples'
        figures, and the samples; the last sample's clients stay open."""
        samples: list[dict[str, Any]] = []
        clients: list[loadgen.Client] = []
        for repeat in range(max(self.args.idle_repeats, 1)):
            if repeat:
                await self.gen.close(clients)
                server.down()
                server.up()
            sample, clients = await self.idle(server)
            samples.append(sample)
        figures = [key for key in samples[0] if key != "connections"]
        medians = {key: round(median(sample[key] for sample in samples), 1) for key in figures}
        return {"connections": samples[-1]["connections"], **medians, "samples": samples}, clients

    async def load(
        self,
        server: Server,
        clients: list[loadgen.Client],
        rate: float,
        seconds: float,
        warmup: float,
        drain: float,
    ) -> dict[str, Any]:
        poller = loadgen.PersistencePoller(_dsn()) if isinstance(server, Parley) else None
        if poller is not None:
            poller.start()
        watch = CpuWatch(server)
        watch.start()
        machine0 = psutil.cpu_times()
        senders, order = self.senders(clients)
        result = await self.gen.run_load(
            senders, rate=rate, seconds=seconds, warmup=warmup, drain=drain,
            room_size=self.args.room_size, persistence=poller, order=order,
        )  # fmt: skip
        cpu_s = watch.stop()
        result["server_cpu"] = {name: round(s / watch.wall, 3) for name, s in cpu_s.items()}
        result["machine"] = _machine(machine0, psutil.cpu_times(), result)
        result["cpu_us_per_delivery"] = _cpu_per_delivery(cpu_s, result)
        if poller is not None:
            result["persistence"] = await poller.finish(wait=max(3.0, drain))
        result["generator_limited"] = (
            result["generator_cpu"] > 0.9 or (result["send_lag_ms"]["p99"] or 0) > 20
        )
        return result

    async def fixed(
        self, server: Server, clients: list[loadgen.Client], label: str = "fixed"
    ) -> dict[str, Any]:
        a = self.args
        result = await self.load(server, clients, a.rate, a.seconds, a.warmup, drain=5)
        log(f"{server.name} {label} {a.rate:g}/s: {_line(result)}")
        return result

    async def ramp(
        self,
        servers: list[Server],
        clients: dict[str, list[loadgen.Client]],
        label: str = "ramp",
        starts: dict[str, float] | None = None,
    ) -> dict[str, Any]:
        """(b) for each server: multiply the rate by `ramp_factor` from its start (`ramp_start`, or what
        `starts` says) until a step fails, then halve the gap between the highest pass and the lowest failure
        `ramp_refine` times (geometrically). The servers take turns step by step, so they see the same
        machine load."""
        a = self.args
        stored_before = {s.name: s.stored_count() for s in servers if isinstance(s, Parley)}
        steps: dict[str, list[dict[str, Any]]] = {s.name: [] for s in servers}
        passed: dict[str, float | None] = {s.name: None for s in servers}
        failed: dict[str, float | None] = {s.name: None for s in servers}
        rate = {s.name: (starts or {}).get(s.name, a.ramp_start) for s in servers}
        while climbing := [s for s in servers if failed[s.name] is None and rate[s.name] <= a.ramp_max]:
            for server in climbing:
                if await self.step(
                    server, clients[server.name], rate[server.name], steps[server.name], label
                ):
                    passed[server.name] = rate[server.name]
                else:
                    failed[server.name] = rate[server.name]
                rate[server.name] = round(rate[server.name] * a.ramp_factor)
        for server in servers:
            for _ in range(a.ramp_refine):
                high = failed[server.name]
                if high is None:
                    break
                low = passed[server.name] or high / a.ramp_factor**2
                middle = round(math.sqrt(low * high))
                if await self.step(server, clients[server.name], middle, steps[server.name], label):
                    passed[server.name] = middle
                else:
                    failed[server.name] = middle
        out: dict[str, Any] = {}
        for server in servers:
            own = steps[server.name]
            best = max((s for s in own if s["pass"]), key=lambda s: s["delivered_per_s"], default=None)
            out[server.name] = {
                "steps": own,
                "max_sustained_delivered_per_s": best["delivered_per_s"] if best else 0.0,
                "max_sustained_rate": best["rate"] if best else 0.0,
                "stopped_by": "failure" if failed[server.name] is not None else "ramp_max",
                "generator_limited_at_top": bool(best and best["generator_limited"]),
            }
            if isinstance(server, Parley):
                out[server.name]["after_run"] = await self.drained(server, stored_before[server.name], own)
        return out

    async def step(
        self,
        server: Server,
        clients: list[loadgen.Client],
        rate: float,
        steps: list[dict[str, Any]],
        label: str = "ramp",
    ) -> bool:
        a = self.args
        step = await self.load(server, clients, rate, a.step_seconds, warmup=a.step_warmup, drain=3)
        step["pass"] = passes(step)
        steps.append(step)
        log(f"{server.name} {label} {rate:g}/s: {_line(step)} {'PASS' if step['pass'] else 'FAIL'}")
        return bool(step["pass"])

    async def drained(
        self, server: Parley, stored_before: int, steps: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """After the ramp: every acked message stored, and nothing left on the persistence queue?"""
        acked = sum(s["acked"] for s in steps)
        deadline = time.monotonic() + 20
        while True:
            stored = server.stored_count() - stored_before
            if stored >= acked or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        return {"acked": acked, "stored": stored, "queues": server.queue_depth()}

    async def rest(self, server: Parley, clients: list[loadgen.Client]) -> dict[str, Any]:
        """(d) history page and conversation list latency while scenario (a) runs; 10 requests/s of each."""
        a = self.args
        latencies: dict[str, list[float]] = {"history": [], "conversation_list": []}
        failures = {"history": 0, "conversation_list": 0}
        stop = asyncio.Event()
        ports = server.worker_ports()

        async def probe(kind: str) -> None:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
                i = 0
                while not stop.is_set():
                    member = self.parley_clients[random.randrange(a.clients)]
                    port = ports[i % len(ports)]
                    path = (
                        f"/api/v1/conversations/{member['conversation']}/messages/"
                        if kind == "history"
                        else "/api/v1/conversations/"
                    )
                    t0 = time.perf_counter()
                    async with session.get(
                        f"http://127.0.0.1:{port}{path}",
                        headers={"Authorization": f"Bearer {member['token']}"},
                    ) as response:
                        await response.read()
                        if response.status == 200:
                            latencies[kind].append((time.perf_counter() - t0) * 1000)
                        else:
                            failures[kind] += 1
                    i += 1
                    await asyncio.sleep(max(0.0, 0.1 - (time.perf_counter() - t0)))

        probes = [asyncio.create_task(probe(kind)) for kind in latencies]
        result = await self.load(server, clients, a.rate, a.seconds, a.warmup, drain=5)
        stop.set()
        await asyncio.gather(*probes)
        result["rest"] = {
            kind: {
                "requests": len(values),
                "failures": failures[kind],
                **(
                    {q: round(_percentile(values, p), 1) for q, p in (("p50", 50), ("p99", 99), ("max", 100))}
                    if values
                    else {}
                ),
            }
            for kind, values in latencies.items()
        }
        log(f"parley REST under fixed load: {result['rest']}")
        return result

    # --- one W

    async def slow_phase(
        self, servers: list[Server], clients: dict[str, list[loadgen.Client]], starts: dict[str, float]
    ) -> dict[str, dict[str, Any]]:
        """(e) issue #20: one slow reader per worker, each a second socket of a member of room 0 on that
        worker, stalled before the measured runs by a burst in room 0 (its members send 1,600 messages of
        4,000 characters in 4 s, ~7 MB to each slow reader: more than the kernel's 4 MB send buffer and a
        server's own); then a fixed load and a ramp, with the readers still stalled."""
        out: dict[str, dict[str, Any]] = {}
        all_readers: dict[str, list[slowreader.SlowReader]] = {}
        for server in servers:
            readers = [
                slowreader.SlowReader(self.target(server, w % self.args.room_size, port))
                for w, port in enumerate(server.worker_ports())
            ]
            for reader in readers:
                await asyncio.to_thread(reader.open)
            room0 = [c for c in clients[server.name] if c.target.room == clients[server.name][0].target.room]
            prime = await self.gen.run_load(
                room0, rate=400, seconds=4, warmup=0.01, drain=5, room_size=self.args.room_size,
                body_size=4000,
            )  # fmt: skip
            log(f"{server.name} slow readers primed: {_line_short(prime)}; unread "
                f"{[r.unread_bytes() for r in readers]} bytes")  # fmt: skip
            out[server.name] = {
                "readers": len(readers),
                "prime": prime,
                "fixed": await self.fixed(server, clients[server.name], label="fixed+slow"),
            }
            all_readers[server.name] = readers
        ramps = await self.ramp(servers, clients, label="ramp+slow", starts=starts)
        for server in servers:
            readers = all_readers[server.name]
            out[server.name]["ramp"] = ramps[server.name]
            # Did the server drop them (a keepalive or an outbound limit), or are they still stalled?
            out[server.name]["readers_at_end"] = [r.server_state() for r in readers]
            for reader in readers:
                reader.close()
        return out

    async def for_workers(self, workers: int, servers: list[Server]) -> dict[str, Any]:
        a = self.args
        out: dict[str, Any] = {s.name: {"fixed": [], "ramp": []} for s in servers}
        for server in servers:
            server.up()
        try:
            parley = next((s for s in servers if isinstance(s, Parley)), None)
            if parley is not None and not self.parley_clients:
                needed = max(a.clients, a.idle)
                self.parley_clients = parley.setup_clients(needed, a.room_size)["clients"]
            load_clients = {}
            ramped = [s for s in servers if not s.fixed_only]
            for server in servers:
                if a.idle >= a.clients and not server.fixed_only:
                    out[server.name]["idle"], load_clients[server.name] = await self.idle_samples(server)
                    continue
                started = time.monotonic()
                load_clients[server.name] = await self.gen.connect(self.targets(server, a.clients))
                log(f"{server.name}: {a.clients} clients connected in {time.monotonic() - started:.1f}s")
            for repeat in range(a.repeats):
                if repeat and self.over_budget():
                    log("over the time budget: skipping further fixed-load repeats")
                    break
                for server in servers:
                    out[server.name]["fixed"].append(await self.fixed(server, load_clients[server.name]))
            starts: dict[str, float] = {}
            for repeat in range(a.ramp_repeats):
                if repeat and self.over_budget():
                    log("over the time budget: skipping further ramp repeats")
                    break
                ramps = await self.ramp(ramped, load_clients, starts=starts)
                for server in ramped:
                    out[server.name]["ramp"].append(ramps[server.name])
                    # Later repeats start one factor below this one's top: the steps below are known passes.
                    top = ramps[server.name]["max_sustained_rate"]
                    starts[server.name] = max(a.ramp_start, round(top / a.ramp_factor))
            if parley is not None:
                out["parley"]["rest"] = await self.rest(parley, load_clients["parley"])
            if str(workers) in a.slow_readers.split(","):
                for name, slow in (await self.slow_phase(ramped, load_clients, starts)).items():
                    out[name]["slow"] = slow
            for clients in load_clients.values():
                await self.gen.close(clients)
        finally:
            for server in servers:
                server.down()
        return out

    async def main(self) -> dict[str, Any]:
        """Everything, under a hard deadline (budget + 10 min) so a wedged server cannot hang the bench."""
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)  # type: ignore[union-attr]
        redis = BenchRedis()
        redis.up()
        try:
            async with asyncio.timeout(self.args.budget + 600):
                return await self.all_runs()
        finally:
            await self.gen.aclose()
            redis.down()

    async def all_runs(self) -> dict[str, Any]:
        a = self.args
        prepare_services(fresh=not a.no_fresh)
        src = parley_source(a.parley_ref) if "parley" in a.servers else ROOT
        runs: dict[str, Any] = {}
        failures: dict[str, str] = {}
        for workers in [int(w) for w in a.workers.split(",")]:
            servers: list[Server] = []
            for name in a.servers.split(","):
                servers.append(make_server(name, workers, src))
            try:
                runs[f"W{workers}"] = await self.for_workers(workers, servers)
            except Exception as error:  # one W's failure must not lose the other's figures
                log(f"W={workers} failed: {error!r}")
                failures[f"W{workers}"] = repr(error)
        if not a.no_fresh:  # --no-fresh keeps it for the next run
            release_services()
        return {
            "meta": {**_meta(time.monotonic() - self.started), "failures": failures},
            "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(a).items()},
            "runs": runs,
            "summary": summarise(runs),
        }


# --- helpers


def make_server(name: str, workers: int, src: Path) -> Server:
    if name == "parley":
        return Parley(workers, src)
    servers = {"baseline": Baseline, "socketio": SocketIO, "socketio-durable": SocketIODurable}
    return servers[name](workers)


def _dsn() -> str:
    return DATABASE_URL.replace("postgres://", "postgresql://")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def _machine(before: Any, after: Any, result: dict[str, Any]) -> dict[str, float]:
    """How busy the whole machine was during a run, in cores, and how much of it was not this bench.
    Interrupt time (softirq: loopback TCP's receive path, mostly) is busy time that no process is charged."""
    cpus = os.cpu_count() or 1
    wall_total = sum(after) - sum(before)

    def cores(*fields: str) -> float:
        spent = sum(getattr(after, f) - getattr(before, f) for f in fields)
        return cpus * spent / wall_total if wall_total else 0.0

    busy = cores("user", "nice", "system", "irq", "softirq")
    interrupts = cores("irq", "softirq")
    ours = sum(result["server_cpu"].values()) + result["generator_cpu"] + interrupts
    return {
        "busy_cores": round(busy, 2),
        "interrupt_cores": round(interrupts, 2),
        "others_cores": round(max(0.0, busy - ours), 2),
        "loadavg_1m": os.getloadavg()[0],
    }


def _cpu_per_delivery(cpu_s: dict[str, float], result: dict[str, Any]) -> dict[str, float | None]:
    """µs of CPU per delivered message, by component, over the whole run (warm-up and drain included, as
    are their deliveries)."""
    delivered = result["deliveries_received"]
    spent = {**cpu_s, "generator": result["generator_cpu_s"]}
    return {name: round(s * 1e6 / delivered, 1) if delivered else None for name, s in spent.items()}


def passes(step: dict[str, Any]) -> bool:
    p99 = step["latency_ms"]["p99"]
    return (
        step["lost"] == 0
        and step["duplicates"] == 0
        and step["errors"] == 0
        and step["misrouted"] == 0
        and step["acked"] == step["sent"]
        and p99 is not None
        and p99 <= P99_LIMIT_MS
    )


def _line(r: dict[str, Any]) -> str:
    lat = r["latency_ms"]
    persisted = r.get("persistence")
    extra = (
        f" lag p99 {persisted['lag_ms']['p99']} ms, unstored {persisted['not_stored']}" if persisted else ""
    )
    return (
        f"sent {r['sent']} acked {r['acked']} lost {r['lost']} dup {r['duplicates']} err {r['errors']} "
        f"{r['delivered_per_s']:.0f} deliv/s p50 {lat['p50']} p99 {lat['p99']} max {lat['max']} ms "
        f"gen cpu {r['generator_cpu']:.0%} srv {r['server_cpu']} machine {r['machine']}{extra}"
    )


def _line_short(r: dict[str, Any]) -> str:
    return (
        f"sent {r['sent']} acked {r['acked']} lost {r['lost']} err {r['errors']} "
        f"p99 {r['latency_ms']['p99']} ms"
    )


def _meta(elapsed: float) -> dict[str, Any]:
    def cmd(*args: str) -> str:
        try:
            return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return ""

    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "git": cmd("git", "rev-parse", "--short", "HEAD"),
        "cpus": os.cpu_count(),
        "loadavg_at_end": os.getloadavg(),
        "python": platform.python_version(),
        "elapsed_s": round(elapsed, 1),
        "shared_machine": True,
        "redis": f"private redis-server on :{REDIS_PORT}" if PRIVATE_REDIS else "the machine's shared Redis",
    }


def main() -> None:
    args = parse_args()
    result = uvloop.run(Bench(args).main())
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = args.out or RESULTS / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    text = json.dumps(result, indent=1)
    out.write_text(text)
    if args.out is None:
        (RESULTS / "latest.json").write_text(text)
    log(f"results: {out}")
    print(json.dumps(result["summary"], indent=1))
    if not args.no_report:
        from bench import report

        report.write(result)


if __name__ == "__main__":
    main()
