"""What a reconnect storm costs a web worker: CPU per connect, and connects per second, for two versions of
Parley interleaved (A, B, B, A, …) so that whatever else the machine does weighs on both.

    .venv/bin/python -m bench.connect_cost --base HEAD~1 [--ref ''] [--rounds 2] [--clients 2000]

Each version (`--ref ''` is the work tree; otherwise a `git archive` export of the ref) is brought up as the
bench's Parley stack at W=1 (private Redis, as `make bench`), with --clients users in rooms of 10; then the
generator opens all their sockets, 20 at a time, each waiting for its `pong` (bench.loadgen), twice per stack
(the second once the worker is quiet again after the first's sockets closed). The worker's own CPU (user and
system) over a storm, divided by its sockets: ms of CPU per connect. docs/benchmarks.md, "Connecting"."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import psutil
import uvloop

from bench.run import Bench, parse_args
from bench.servers import BenchRedis, Parley, ab_sources, alternating, log, prepare_services, release_services

STORMS_PER_STACK = 2


async def storms(tree: Path, bench_args: argparse.Namespace, clients: int) -> list[tuple[float, float]]:
    """(ms of the worker's CPU per connect, connects/s) of each storm on one freshly started stack."""
    redis = BenchRedis()
    redis.up()
    prepare_services(fresh=True)
    server = Parley(1, tree)
    server.up()
    bench = Bench(bench_args)
    results = []
    try:
        bench.parley_clients = server.setup_clients(clients, 10)["clients"]
        worker = psutil.Process(server.worker_pids()[0])
        for _ in range(STORMS_PER_STACK):
            cpu_before, started = worker.cpu_times(), time.perf_counter()
            sockets = await bench.gen.connect(bench.targets(server, clients))
            seconds, cpu_after = time.perf_counter() - started, worker.cpu_times()
            cpu = cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system
            results.append((1000 * cpu / len(sockets), len(sockets) / seconds))
            await bench.gen.close(sockets)
            await settled(worker)  # the sockets' goodbyes (presence, subscriptions) are not the next storm's
    finally:
        await bench.gen.aclose()
        server.down()
        redis.down()
        release_services()
    return results


async def settled(worker: psutil.Process, quiet_cores: float = 0.05, longest: float = 30) -> None:
    """Return once the worker spends less than `quiet_cores` over half a second (`longest` at most)."""
    deadline = time.monotonic() + longest
    while time.monotonic() < deadline:
        before = worker.cpu_times()
        await asyncio.sleep(0.5)
        after = worker.cpu_times()
        if (after.user + after.system - before.user - before.system) / 0.5 < quiet_cores:
            return


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", default="HEAD~1", help="version A (a git ref)")
    parser.add_argument("--ref", default="", help="version B: a git ref, or '' for the work tree")
    parser.add_argument("--rounds", type=int, default=2, help="stacks brought up per version")
    parser.add_argument("--clients", type=int, default=2000)
    args, rest = parser.parse_known_args()
    sys.argv = [sys.argv[0], *rest]
    bench_args = parse_args()
    trees = ab_sources(args.base, args.ref, "connect-cost")
    results: dict[str, list[tuple[float, float]]] = {"A": [], "B": []}
    for round_number, name in alternating(args.rounds):
        measured = uvloop.run(storms(trees[name], bench_args, args.clients))
        results[name] += measured
        storms_read = [f"{cpu:.2f} ms CPU per connect, {rate:.0f} connects/s" for cpu, rate in measured]
        log(f"round {round_number} {name}: " + "; ".join(storms_read))
    cpu = {name: statistics.median(c for c, _ in runs) for name, runs in results.items()}
    rate = {name: statistics.median(r for _, r in runs) for name, runs in results.items()}
    print(f"A ({args.base}): {cpu['A']:.2f} ms CPU per connect, {rate['A']:.0f} connects/s; "
          f"B ({args.ref or 'work tree'}): {cpu['B']:.2f} ms, {rate['B']:.0f} connects/s; "
          f"B/A CPU {cpu['B'] / cpu['A']:.2f}×, rate {rate['B'] / rate['A']:.2f}× "
          f"(medians of {len(results['A'])} storms of {args.clients} sockets each)")  # fmt: skip


if __name__ == "__main__":
    main()
