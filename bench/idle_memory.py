"""What an idle socket costs a web worker (issue #22): RSS per socket, and where it goes.

One uvicorn worker, started as every deployment starts it (scripts/web-server), on the environment's
database, Redis and broker (a helper's slot, or the stack's); N authenticated sockets, each after the hello
every client sends (`sync`, then a `ping` answered): the worker's RSS before and after, settled, as
`make bench`'s scenario (c) measures it, and the marginal cost between N/2 and N sockets (which leaves out
what the first sockets start once per worker). Each repeat starts a fresh worker; the figures are medians.

    .venv/bin/python -m bench.idle_memory --sockets 2000 --repeats 3
    .venv/bin/python -m bench.idle_memory --sockets 2000 --attribute      # + where the memory goes

`--attribute` runs one more worker through a wrapper that, on SIGUSR2, counts the objects the garbage
collector tracks, per type, and starts tracemalloc (25 frames) the first time, takes its snapshot the second:
between the two signals the second half of the sockets connect, so the snapshot holds what they allocated
and kept. The report: by allocating line, by the innermost line of Parley's own code on the allocation's
stack, and (the two counts' difference) by type. Nothing in the product is instrumented: the
wrapper is this module (`serve`), given to scripts/web-server as its UVICORN program.

Environment: DATABASE_URL, REDIS_URL, CELERY_BROKER_URL as for the tests (the database is migrated and
given the bench users, bench.setup_parley). The clients are Python (websockets) in this process; only the
worker's memory is measured."""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import os
import pickle
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"


def log(text: str) -> None:
    print(f"[idle {time.strftime('%H:%M:%S')}] {text}", flush=True)


# --- the worker side: `python -m bench.idle_memory serve <uvicorn args>`


def serve(argv: list[str]) -> None:
    """uvicorn, with a SIGUSR2 handler that dumps what the process holds to IDLE_MEMORY_DUMP.<n>."""
    target = os.environ["IDLE_MEMORY_DUMP"]
    dumps = [0]

    def dump(signum: int, frame: Any) -> None:
        gc.collect()
        counts: collections.Counter[str] = collections.Counter()
        sizes: collections.Counter[str] = collections.Counter()
        for obj in gc.get_objects():
            name = f"{type(obj).__module__}.{type(obj).__qualname__}"
            if isinstance(obj, types.CoroutineType | types.GeneratorType | types.AsyncGeneratorType):
                name += f" {obj.__qualname__}"  # which coroutine: each is a suspended frame
            elif isinstance(obj, asyncio.Task):
                name += f" {obj.get_coro().__qualname__}"  # type: ignore[union-attr]
            counts[name] += 1
            sizes[name] += sys.getsizeof(obj)
        path = f"{target}.{dumps[0]}"
        dumps[0] += 1
        with open(path + ".types", "wb") as f:
            pickle.dump({"counts": counts, "sizes": sizes}, f)
        if tracemalloc.is_tracing():
            tracemalloc.take_snapshot().dump(path + ".trace")
        else:  # from now on: what the next sockets allocate, and keep, is what the next snapshot holds
            tracemalloc.start(25)
        Path(path + ".done").touch()

    signal.signal(signal.SIGUSR2, dump)
    import uvicorn.main

    sys.argv = ["uvicorn", *argv]
    uvicorn.main.main()


# --- the measuring side


def environment(port: int, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        if not env.get(name):
            sys.exit(f"{name} must be set (a helper's slot, or the stack's)")
    env.setdefault("DJANGO_SETTINGS_MODULE", "chatproject.settings.base")
    env.setdefault("DJANGO_SECRET_KEY", "parley-idle-memory-secret-not-for-production")
    env.setdefault("PARLEY_DATA_DIR", str(data_dir))
    env.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
    env.setdefault("DJANGO_DEBUG", "false")
    env.setdefault("LOG_LEVEL", "WARNING")
    env["JWT_ACCESS_MINUTES"] = "600"
    env["PYTHONPATH"] = str(ROOT)
    return env


def prepare(env: dict[str, str], users: int, data_dir: Path) -> list[dict[str, Any]]:
    subprocess.run([str(PYTHON), "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    out = data_dir / "clients.json"
    subprocess.run(
        [str(PYTHON), "bench/setup_parley.py", "--users", str(users), "--room-size", "10", "--out", str(out)],
        env=env,
        cwd=ROOT,
        check=True,
    )
    return list(json.loads(out.read_text())["clients"])


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class Worker:
    def __init__(self, port: int, env: dict[str, str], dump: str | None = None) -> None:
        self.port = port
        env = dict(env)
        self.dump_prefix = dump
        if dump is not None:
            wrapper = Path(tempfile.mkdtemp()) / "uvicorn"
            wrapper.write_text(f'#!/bin/sh\nexec "{PYTHON}" -m bench.idle_memory serve "$@"\n')
            wrapper.chmod(0o755)
            env.update(UVICORN=str(wrapper), IDLE_MEMORY_DUMP=dump)
        else:
            env["UVICORN"] = str(VENV / "bin" / "uvicorn")
        self.log = open(Path(env["PARLEY_DATA_DIR"]) / f"worker-{port}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(ROOT / "scripts" / "web-server"), "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.dumps = 0

    async def started(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited ({self.process.returncode}): see {self.log.name}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.2)
        raise RuntimeError("the worker did not start")

    def rss(self) -> int:
        return rss(self.process.pid)

    async def dump(self) -> str:
        assert self.dump_prefix is not None  # noqa: S101
        path = f"{self.dump_prefix}.{self.dumps}"
        self.dumps += 1
        self.process.send_signal(signal.SIGUSR2)
        done = Path(path + ".done")
        while not await asyncio.to_thread(done.exists):  # noqa: ASYNC110 - another process's file
            await asyncio.sleep(0.2)
        return path

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


async def open_sockets(port: int, clients: list[dict[str, Any]], concurrency: int = 20) -> list[Any]:
    """Connect each client and say hello (docs/protocol.md): `sync`, then a `ping` whose `pong` tells that
    the worker has finished with the socket's connect and sync."""
    from websockets.asyncio.client import connect

    sockets: list[Any] = []
    pending = list(clients)

    async def one() -> None:
        while pending:
            client = pending.pop()
            ws = await connect(
                f"ws://127.0.0.1:{port}/ws/?v=2&token={client['token']}",
                origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
                compression=None,
                ping_interval=None,
                max_size=None,
                open_timeout=120,  # a worker under tracemalloc is slow
            )
            await ws.send('{"type":"sync","since":{}}')
            await ws.send('{"type":"ping"}')
            while '"pong"' not in str(await asyncio.wait_for(ws.recv(), 120)):
                pass
            sockets.append(ws)

    await asyncio.gather(*(one() for _ in range(concurrency)))
    return sockets


async def close_sockets(sockets: list[Any]) -> None:
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


async def measure(
    port: int, env: dict[str, str], clients: list[dict[str, Any]], settle: float
) -> dict[str, Any]:
    worker = Worker(port, env)
    try:
        await worker.started()
        await asyncio.sleep(1)
        before = worker.rss()
        half = len(clients) // 2
        started = time.monotonic()
        sockets = await open_sockets(port, clients[:half])
        await asyncio.sleep(settle)
        middle = worker.rss()
        sockets += await open_sockets(port, clients[half:])
        connect_s = time.monotonic() - started
        await asyncio.sleep(settle)
        after = worker.rss()
        await close_sockets(sockets)
    finally:
        worker.stop()
    n = len(clients)
    return {
        "sockets": n,
        "rss_before_mib": round(before / 2**20, 1),
        "rss_after_mib": round(after / 2**20, 1),
        "kib_per_socket": round((after - before) / n / 1024, 1),
        "marginal_kib_per_socket": round((after - middle) / (n - half) / 1024, 1),
        "connect_seconds": round(connect_s, 1),
    }


async def attribute(port: int, env: dict[str, str], clients: list[dict[str, Any]], settle: float) -> None:
    dump_dir = Path(tempfile.mkdtemp(prefix="idle-memory-"))
    worker = Worker(port, env, dump=str(dump_dir / "dump"))
    half = len(clients) // 2
    try:
        await worker.started()
        sockets = await open_sockets(port, clients[:half])  # past what the first sockets start once
        await asyncio.sleep(settle)
        first = await worker.dump()
        sockets += await open_sockets(port, clients[half:])
        await asyncio.sleep(settle)
        second = await worker.dump()
        await close_sockets(sockets)
    finally:
        worker.stop()
    report_attribution(first, second, len(clients) - half)


def report_attribution(first: str, second: str, sockets: int, top: int = 45) -> None:
    after = tracemalloc.Snapshot.load(second + ".trace")
    before = tracemalloc.Snapshot(traces=[], traceback_limit=after.traceback_limit)  # tracing started then
    total = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    print(f"\ntracemalloc: {total / sockets / 1024:.1f} KiB of Python allocations per socket ({sockets})")

    print(f"\nby allocating line (top {top}), bytes per socket:")
    for stat in after.compare_to(before, "lineno")[:top]:
        frame = stat.traceback[0]
        print(f"  {stat.size_diff / sockets:8.0f}  {stat.count_diff / sockets:6.2f} blocks  "
              f"{_short(frame.filename)}:{frame.lineno}")  # fmt: skip

    print(f"\nby the innermost line of Parley's code on the stack (top {top}), bytes per socket:")
    by_own: collections.Counter[str] = collections.Counter()
    own_before = _by_own_frame(before)
    own_after = _by_own_frame(after)
    for key in set(own_before) | set(own_after):
        by_own[key] = own_after.get(key, 0) - own_before.get(key, 0)
    for key, size in by_own.most_common(top):
        print(f"  {size / sockets:8.0f}  {key}")

    types_before = pickle.loads(Path(first + ".types").read_bytes())  # noqa: S301 - our own dump
    types_after = pickle.loads(Path(second + ".types").read_bytes())  # noqa: S301
    print(f"\nobjects the GC tracks, by type (top {top}): per socket, count and shallow bytes")
    diff = collections.Counter(types_after["sizes"])
    diff.subtract(types_before["sizes"])
    for name, size in diff.most_common(top):
        count = types_after["counts"][name] - types_before["counts"][name]
        print(f"  {count / sockets:6.2f}  {size / sockets:8.0f}  {name}")


def _short(filename: str) -> str:
    for prefix in (str(ROOT) + "/", "site-packages/"):
        if prefix in filename:
            return filename.split(prefix, 1)[1]
    return filename


def _own(filename: str, root: str) -> bool:
    return filename.startswith(root) and "/.venv/" not in filename and "/bench/" not in filename


def _by_own_frame(snapshot: tracemalloc.Snapshot) -> dict[str, int]:
    """Bytes by the innermost frame in Parley's code (else the outermost frame recorded)."""
    out: collections.Counter[str] = collections.Counter()
    root = str(ROOT) + "/"
    for trace in snapshot.traces:
        frames = list(reversed(trace.traceback))  # innermost first (a Traceback is oldest first)
        own = next((f for f in frames if _own(f.filename, root)), None)
        frame = own or frames[0]
        out[f"{_short(frame.filename)}:{frame.lineno}"] += trace.size
    return out


async def run(args: argparse.Namespace) -> None:
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - before anything runs
    env = environment(args.port, data_dir)
    clients = prepare(env, args.sockets, data_dir)[: args.sockets]
    results = []
    for repeat in range(args.repeats):
        result = await measure(args.port, env, clients, args.settle)
        log(f"repeat {repeat + 1}: {json.dumps(result)}")
        results.append(result)
    if results:
        for key in ("kib_per_socket", "marginal_kib_per_socket"):
            values = [r[key] for r in results]
            log(f"median {key}: {statistics.median(values):.1f} (runs: {values})")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))  # noqa: ASYNC240 - nothing else runs
    if args.attribute:
        await attribute(args.port, env, clients, args.settle)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    slot = int(os.environ.get("PARLEY_TEST_SLOT", "0") or 0)
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds before reading RSS")
    parser.add_argument("--port", type=int, default=8700 + 10 * slot)
    parser.add_argument("--data-dir", default=f"{tempfile.gettempdir()}/parley-idle-memory-{slot}")
    parser.add_argument("--attribute", action="store_true", help="one more run under tracemalloc")
    parser.add_argument("--json", help="write the repeats' figures here")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
