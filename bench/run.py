"""`make bench`: Parley against the textbook Channels baseline, back to back, at W = 1 and W = 2 workers.

    python -m bench.run                  # the standard set (< 10 minutes), JSON + docs/benchmarks.md + plots
    python -m bench.run --quick          # one repeat, short steps: for development
    python -m bench.run --workers 1 --repeats 1 --seconds 10 --no-report

For each W both servers are up at once (on their own ports) and every scenario runs baseline then Parley,
repeat after repeat, so the two see the same machine load. Clients connect straight to the worker ports,
round-robin, for both servers (nginx is not in the path of either).

Scenarios: (a) fixed load, (b) ramp ×1.5 until p99 > 250 ms or any loss/duplicate/error, then one step
between the last pass and the first failure, (c) RSS per idle connection (W=1), (d) REST latency under (a)
(Parley only: the baseline has no REST API)."""

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

from bench import loadgen
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
    log,
    parley_source,
    prepare_services,
)

RESULTS = ROOT / "bench" / "results"
P99_LIMIT_MS = 250.0
ORIGIN = {"Origin": "http://127.0.0.1"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", default="1,2", help="comma-separated W values")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--room-size", type=int, default=10)
    parser.add_argument("--rate", type=float, default=100.0, help="fixed-load sends/s")
    parser.add_argument("--seconds", type=float, default=6.0, help="fixed-load measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--step-seconds", type=float, default=3.0, help="ramp step measured seconds")
    parser.add_argument("--ramp-start", type=float, default=50.0)
    parser.add_argument("--ramp-factor", type=float, default=1.5)
    parser.add_argument("--ramp-max", type=float, default=3000.0, help="sends/s where the ramp stops anyway")
    parser.add_argument("--idle", type=int, default=2000, help="idle connections for RSS (W=1); 0 to skip")
    parser.add_argument(
        "--budget", type=float, default=540.0, help="seconds; later repeats are skipped past it"
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--servers", default="baseline,parley")
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
        args.repeats, args.seconds, args.step_seconds = 1, 5.0, 3.0
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

    def targets(self, server: Server, count: int) -> list[loadgen.Target]:
        ports, size = server.worker_ports(), self.args.room_size
        if isinstance(server, Parley):
            return [
                loadgen.Target(
                    f"ws://127.0.0.1:{ports[i % len(ports)]}/ws/?v=2&token={c['token']}",
                    c["conversation"],
                    i % size,
                    ORIGIN,
                )
                for i, c in enumerate(self.parley_clients[:count])
            ]
        return [
            loadgen.Target(
                f"ws://127.0.0.1:{ports[i % len(ports)]}/ws/?user={i}&room={i // size}", i // size, i % size
            )
            for i in range(count)
        ]

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
        result = await self.gen.run_load(
            clients, rate=rate, seconds=seconds, warmup=warmup, drain=drain,
            room_size=self.args.room_size, persistence=poller,
        )  # fmt: skip
        result["server_cpu"] = watch.stop()
        result["machine"] = _machine(machine0, psutil.cpu_times(), result)
        if poller is not None:
            result["persistence"] = await poller.finish(wait=max(3.0, drain))
        result["generator_limited"] = (
            result["generator_cpu"] > 0.9 or (result["send_lag_ms"]["p99"] or 0) > 20
        )
        return result

    async def fixed(self, server: Server, clients: list[loadgen.Client]) -> dict[str, Any]:
        a = self.args
        result = await self.load(server, clients, a.rate, a.seconds, a.warmup, drain=5)
        log(f"{server.name} fixed {a.rate:g}/s: {_line(result)}")
        return result

    async def ramp(self, servers: list[Server], clients: dict[str, list[loadgen.Client]]) -> dict[str, Any]:
        """(b) for each server: raise the rate ×factor until a step fails, then one step between the last pass
        and the first failure. The servers take turns at each rate, so they see the same machine load."""
        a = self.args
        stored_before = {s.name: s.stored_count() for s in servers if isinstance(s, Parley)}
        steps: dict[str, list[dict[str, Any]]] = {s.name: [] for s in servers}
        passed: dict[str, float | None] = {s.name: None for s in servers}
        failed: dict[str, float | None] = {s.name: None for s in servers}
        rate = a.ramp_start
        while rate <= a.ramp_max and any(failed[s.name] is None for s in servers):
            for server in servers:
                if failed[server.name] is None:
                    if await self.step(server, clients[server.name], rate, steps[server.name]):
                        passed[server.name] = rate
                    else:
                        failed[server.name] = rate
            rate = round(rate * a.ramp_factor)
        for server in servers:
            high = failed[server.name]
            if high is not None:  # one step between the last pass and the first failure
                low = passed[server.name] or high / a.ramp_factor**2
                await self.step(
                    server, clients[server.name], round(math.sqrt(low * high)), steps[server.name]
                )
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
        self, server: Server, clients: list[loadgen.Client], rate: float, steps: list[dict[str, Any]]
    ) -> bool:
        step = await self.load(server, clients, rate, self.args.step_seconds, warmup=1.0, drain=3)
        step["pass"] = _passes(step)
        steps.append(step)
        log(f"{server.name} ramp {rate:g}/s: {_line(step)} {'PASS' if step['pass'] else 'FAIL'}")
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

    async def for_workers(self, workers: int, servers: list[Server]) -> dict[str, Any]:
        out: dict[str, Any] = {s.name: {"fixed": [], "ramp": []} for s in servers}
        for server in servers:
            server.up()
        try:
            parley = next((s for s in servers if isinstance(s, Parley)), None)
            if parley is not None and not self.parley_clients:
                needed = max(self.args.clients, self.args.idle)
                self.parley_clients = parley.setup_clients(needed, self.args.room_size)["clients"]
            load_clients = {}
            if workers == 1 and self.args.idle >= self.args.clients:
                for server in servers:
                    out[server.name]["idle"], load_clients[server.name] = await self.idle(server)
            for server in servers:
                if server.name in load_clients:
                    continue
                started = time.monotonic()
                load_clients[server.name] = await self.gen.connect(self.targets(server, self.args.clients))
                log(
                    f"{server.name}: {self.args.clients} clients connected "
                    f"in {time.monotonic() - started:.1f}s"
                )
            for repeat in range(self.args.repeats):
                if repeat and self.over_budget():
                    log("over the time budget: skipping further fixed-load repeats")
                    break
                for server in servers:
                    out[server.name]["fixed"].append(await self.fixed(server, load_clients[server.name]))
            for repeat in range(self.args.repeats):
                if repeat and self.over_budget():
                    log("over the time budget: skipping further ramp repeats")
                    break
                ramps = await self.ramp(servers, load_clients)
                for server in servers:
                    out[server.name]["ramp"].append(ramps[server.name])
            if parley is not None:
                out["parley"]["rest"] = await self.rest(parley, load_clients["parley"])
            for clients in load_clients.values():
                await self.gen.close(clients)
        finally:
            for server in servers:
                server.down()
        return out

    async def main(self) -> dict[str, Any]:
        """Everything, under a hard deadline (budget + 4 minutes) so a wedged server cannot hang the bench."""
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)  # type: ignore[union-attr]
        redis = BenchRedis()
        redis.up()
        try:
            async with asyncio.timeout(self.args.budget + 240):
                return await self.all_runs()
        finally:
            redis.down()

    async def all_runs(self) -> dict[str, Any]:
        a = self.args
        prepare_services(fresh=not a.no_fresh)
        src = parley_source(a.parley_ref) if "parley" in a.servers else ROOT
        runs: dict[str, Any] = {}
        for workers in [int(w) for w in a.workers.split(",")]:
            servers: list[Server] = []
            for name in a.servers.split(","):
                servers.append(Baseline(workers) if name == "baseline" else Parley(workers, src))
            runs[f"W{workers}"] = await self.for_workers(workers, servers)
        return {
            "meta": _meta(time.monotonic() - self.started),
            "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(a).items()},
            "runs": runs,
            "summary": summarise(runs),
        }


# --- helpers


def _dsn() -> str:
    return DATABASE_URL.replace("postgres://", "postgresql://")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def _machine(before: Any, after: Any, result: dict[str, Any]) -> dict[str, float]:
    """How busy the whole machine was during a run, in cores, and how much of it was not this bench."""
    busy = (after.user + after.nice + after.system) - (before.user + before.nice + before.system)
    wall_total = sum(after) - sum(before)
    cores = (os.cpu_count() or 1) * busy / wall_total if wall_total else 0.0
    ours = sum(result["server_cpu"].values()) + result["generator_cpu"]
    return {
        "busy_cores": round(cores, 2),
        "others_cores": round(max(0.0, cores - ours), 2),
        "loadavg_1m": os.getloadavg()[0],
    }


def _passes(step: dict[str, Any]) -> bool:
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


def _med(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(median(present), 2) if present else None


def summarise(runs: dict[str, Any]) -> dict[str, Any]:
    """Medians over repeats, and Parley / baseline ratios."""
    summary: dict[str, Any] = {}
    for w, by_server in runs.items():
        row: dict[str, Any] = {}
        for name, data in by_server.items():
            fixed, ramps = data.get("fixed", []), data.get("ramp", [])
            top_steps = [
                max((s for s in r["steps"] if s["pass"]), key=lambda s: s["rate"], default=None)
                for r in ramps
            ]
            row[name] = {
                "max_delivered_per_s": _med([r["max_sustained_delivered_per_s"] for r in ramps]),
                "max_delivered_each_repeat": [r["max_sustained_delivered_per_s"] for r in ramps],
                "fixed_p50_ms": _med([f["latency_ms"]["p50"] for f in fixed]),
                "fixed_p99_ms": _med([f["latency_ms"]["p99"] for f in fixed]),
                "fixed_ack_p99_ms": _med([f["ack_ms"]["p99"] for f in fixed]),
                "fixed_lost": sum(f["lost"] for f in fixed),
                "fixed_duplicates": sum(f["duplicates"] for f in fixed),
                "idle_kib_per_connection": data.get("idle", {}).get("kib_per_connection"),
                "persistence_lag_p99_ms_fixed": _med(
                    [f.get("persistence", {}).get("lag_ms", {}).get("p99") for f in fixed]
                ),
                "persistence_lag_p99_ms_at_top": _med(
                    [(s or {}).get("persistence", {}).get("lag_ms", {}).get("p99") for s in top_steps]
                ),
                "generator_limited_at_top": any(r["generator_limited_at_top"] for r in ramps),
            }
        if "baseline" in row and "parley" in row:
            b, p = row["baseline"], row["parley"]
            row["ratio"] = {
                key: round(p[key] / b[key], 2) if p[key] and b[key] else None
                for key in ("max_delivered_per_s", "fixed_p50_ms", "fixed_p99_ms", "idle_kib_per_connection")
            }
        summary[w] = row
    return summary


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
