"""Ramp method variants side by side, interleaved in one run: which choices move the ramp's result?

    python -m bench.variants --workers 2 --servers baseline,parley [--out bench/results/variants-....json]
    python -m bench.variants --workers 2 --variants 3s-random,8s-random --hold 'parley:800,1200;baseline:250'

Each variant is a step length, a warm-up and who sends (--order). At every rate (×1.5 from --ramp-start), each
server runs one step of every variant still passing, one after another, so all variants see the same machine;
a variant stops at its first failure and its result is its highest pass on the grid. This is how
docs/benchmarks.md's "Why two runs disagreed" was measured: a machine shared with other tenants drifts
from minute to minute, and only variants taken turn by turn can be compared."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from typing import Any

import uvloop

from bench import run
from bench.servers import ROOT, BenchRedis, Parley, Server, log, prepare_services, release_services

VARIANTS = {  # name: (measured seconds, warm-up seconds, order)
    "3s-list": (3.0, 1.0, "list"),
    "3s-random": (3.0, 1.0, "random"),
    "8s-list": (8.0, 1.0, "list"),
    "8s-random": (8.0, 1.0, "random"),
    "8s-random-warm4": (8.0, 4.0, "random"),
}


async def compare(bench: run.Bench, servers: list[Server], names: list[str]) -> dict[str, Any]:
    a = bench.args
    for server in servers:
        server.up()
    try:
        parley = next((s for s in servers if isinstance(s, Parley)), None)
        if parley is not None:
            bench.parley_clients = parley.setup_clients(a.clients, a.room_size)["clients"]
        clients = {s.name: await bench.gen.connect(bench.targets(s, a.clients)) for s in servers}
        steps: dict[str, dict[str, list[dict[str, Any]]]] = {s.name: {v: [] for v in names} for s in servers}
        failed: set[tuple[str, str]] = set()
        rate = a.ramp_start
        while rate <= a.ramp_max and len(failed) < len(servers) * len(names):
            for server in servers:
                for variant in names:
                    if (server.name, variant) in failed:
                        continue
                    seconds, warmup, order = VARIANTS[variant]
                    a.order = order
                    step = await bench.load(server, clients[server.name], rate, seconds, warmup, drain=3)
                    step["pass"] = run.passes(step)
                    steps[server.name][variant].append(step)
                    log(f"{server.name} {variant} {rate:g}/s: p99 {step['latency_ms']['p99']} by second "
                        f"{step['p99_ms_by_second']} others {step['machine']['others_cores']} "
                        f"{'PASS' if step['pass'] else 'FAIL'}")  # fmt: skip
                    if not step["pass"]:
                        failed.add((server.name, variant))
            rate = round(rate * a.ramp_factor)
        return {
            name: {
                variant: {
                    "max_delivered_per_s": max((s["delivered_per_s"] for s in own if s["pass"]), default=0.0),
                    "steps": own,
                }
                for variant, own in by_variant.items()
            }
            for name, by_variant in steps.items()
        }
    finally:
        for server in servers:
            server.down()


async def hold(
    bench: run.Bench, servers: list[Server], names: list[str], rates: dict[str, list[float]], repeats: int
) -> dict[str, Any]:
    """Each server at each of its rates, every variant in turn, `repeats` times: distributions of p99 and its
    course second by second, rather than one pass or fail each."""
    a = bench.args
    for server in servers:
        server.up()
    try:
        parley = next((s for s in servers if isinstance(s, Parley)), None)
        if parley is not None:
            bench.parley_clients = parley.setup_clients(a.clients, a.room_size)["clients"]
        clients = {s.name: await bench.gen.connect(bench.targets(s, a.clients)) for s in servers}
        out: dict[str, Any] = {s.name: {} for s in servers}
        for _ in range(repeats):
            for server in servers:
                for rate in rates.get(server.name, []):
                    for variant in names:
                        seconds, warmup, a.order = VARIANTS[variant]
                        step = await bench.load(server, clients[server.name], rate, seconds, warmup, drain=3)
                        step["pass"] = run.passes(step)
                        out[server.name].setdefault(f"{rate:g}", {}).setdefault(variant, []).append(step)
                        log(f"{server.name} {variant} {rate:g}/s: p99 {step['latency_ms']['p99']} by second "
                            f"{step['p99_ms_by_second']} others {step['machine']['others_cores']} "
                            f"{'PASS' if step['pass'] else 'FAIL'}")  # fmt: skip
        return out
    finally:
        for server in servers:
            server.down()


async def main_async(args: argparse.Namespace, names: list[str], holds: str, repeats: int) -> dict[str, Any]:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)  # servers down on kill
    redis = BenchRedis()
    redis.up()
    bench = run.Bench(args)
    try:
        prepare_services(fresh=True)
        out = {}
        for workers in [int(w) for w in args.workers.split(",")]:
            servers = [run.make_server(name, workers, ROOT) for name in args.servers.split(",")]
            if holds:
                rates = {
                    name: [float(r) for r in spec.split(",")]
                    for name, spec in (part.split(":") for part in holds.split(";"))
                }
                out[f"W{workers}"] = await hold(bench, servers, names, rates, repeats)
            else:
                out[f"W{workers}"] = await compare(bench, servers, names)
        return out
    finally:
        await bench.gen.aclose()
        redis.down()
        release_services()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument(
        "--hold", default="", help="fixed rates instead of a ramp, e.g. 'parley:800,1200;baseline:200,300'"
    )
    parser.add_argument("--hold-repeats", type=int, default=3)
    known, rest = parser.parse_known_args()
    sys.argv = [sys.argv[0], "--ramp-factor", "1.5", *rest]
    args = run.parse_args()
    names = known.variants.split(",")
    started = time.monotonic()
    result = uvloop.run(main_async(args, names, known.hold, known.hold_repeats))
    out = args.out or ROOT / "bench" / "results" / f"variants-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"elapsed_s": round(time.monotonic() - started), "variants": result}, indent=1))
    if not known.hold:
        for w, by_server in result.items():
            for name, by_variant in by_server.items():
                tops = ", ".join(f"{v} {d['max_delivered_per_s']:,.0f}" for v, d in by_variant.items())
                log(f"{w} {name}: {tops}")
    log(f"results: {out}")


if __name__ == "__main__":
    main()
