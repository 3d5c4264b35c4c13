"""Profile a server under the fixed load with py-spy: where does a worker (and Celery) spend its time?

    python -m bench.profile --server parley --rate 100 --seconds 15 [--workers 2] [--parley-ref HEAD]
    python -m bench.profile --server baseline --rate 100 --seconds 15
    python -m bench.profile --server parley --connect --seconds 30 --clients 500

Brings the server up at W=1 or --workers (private Redis, as `make bench`), connects the clients, starts
`py-spy record` on the first web worker (and, for Parley, on its two Celery workers: persistence's, and the
rest's with its pool) for the length of an open-loop run, then
prints the top frames by own time and by inclusive time. Raw collapsed stacks are kept under
bench/results/profiles/ (load them in speedscope or inferno to see flame graphs)."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
from collections import Counter
from pathlib import Path

import uvloop

from bench.run import Bench, parse_args
from bench.servers import (
    ROOT,
    VENV,
    Baseline,
    BenchRedis,
    Parley,
    Server,
    log,
    parley_source,
    prepare_services,
    release_services,
)

PROFILES = ROOT / "bench" / "results" / "profiles"


def summarise(path: Path, top: int = 25) -> str:
    """Own and inclusive sample counts per frame from py-spy's collapsed ('raw') output."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        return f"{path.name}: no samples"
    lines = [f"{path.name}: {total} samples", "  own time:"]
    lines += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    lines.append("  inclusive:")
    lines += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)]
    return "\n".join(lines)


def record(pid: int, seconds: float, out: Path, subprocesses: bool = False) -> subprocess.Popen[bytes]:
    cmd = [str(VENV / "bin/py-spy"), "record", "--pid", str(pid), "--duration", str(int(seconds)),
           "--format", "raw", "--output", str(out), "--rate", "200", "--nonblocking"]  # fmt: skip
    if subprocesses:
        cmd.append("--subprocesses")
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def profile(args: argparse.Namespace, bench_args: argparse.Namespace) -> None:
    PROFILES.mkdir(parents=True, exist_ok=True)
    redis = BenchRedis()
    redis.up()
    prepare_services(fresh=True)  # stored seqs must match the private Redis's empty counters
    server: Server = (
        Parley(args.workers, parley_source(bench_args.parley_ref))
        if args.server == "parley"
        else Baseline(args.workers)
    )
    server.up()
    bench = Bench(bench_args)
    try:
        if isinstance(server, Parley):
            bench.parley_clients = server.setup_clients(bench_args.clients, bench_args.room_size)["clients"]
        if args.connect:
            spy = record(server.worker_pids()[0], args.seconds, PROFILES / f"{args.server}-connect.txt")
            await asyncio.sleep(0.5)
            clients = await bench.gen.connect(bench.targets(server, bench_args.clients))
            spy.wait(timeout=args.seconds + 60)
            print(summarise(PROFILES / f"{args.server}-connect.txt"))
            await bench.gen.close(clients)
            return
        clients = await bench.gen.connect(bench.targets(server, bench_args.clients))
        await bench.gen.run_load(clients, rate=args.rate, seconds=3, warmup=1, drain=3, room_size=10)
        spies = [
            (record(server.worker_pids()[0], args.seconds, PROFILES / f"{args.server}-worker.txt"), "worker")
        ]
        if isinstance(server, Parley):
            for name in ("persistence", "celery"):
                pid = int((Path(server.env["STACK_DIR"]) / "pids" / f"{name}.pid").read_text())
                spies.append((record(pid, args.seconds, PROFILES / f"parley-{name}.txt", True), name))
        await asyncio.sleep(0.5)
        result = await bench.gen.run_load(
            clients, rate=args.rate, seconds=args.seconds - 2, warmup=1, drain=3, room_size=10
        )
        for spy, _ in spies:
            spy.wait(timeout=60)
        log(
            f"load while profiling: {result['delivered_per_s']} deliveries/s, "
            f"latency {result['latency_ms']} ms, ack {result['ack_ms']} ms"
        )
        for _, name in spies:
            print(summarise(PROFILES / f"{args.server}-{name}.txt"))
        await bench.gen.close(clients)
    finally:
        await bench.gen.aclose()
        server.down()
        redis.down()
        release_services()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", choices=["parley", "baseline"], default="parley")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=1, help="W; the first web worker is profiled")
    parser.add_argument("--connect", action="store_true", help="profile the clients' connecting instead")
    args, rest = parser.parse_known_args()
    import sys

    sys.argv = [sys.argv[0], *rest]
    uvloop.run(profile(args, parse_args()))


if __name__ == "__main__":
    main()
