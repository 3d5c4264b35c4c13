"""Starting, stopping and watching the three servers under test, and the bench's own services set-up.

Parley runs as its own stack instance (scripts/stack.sh with STACK_DIR=/tmp/parley-bench, ports 8580-8590,
database parley_bench, Redis db 11, RabbitMQ vhost parley_bench) so it never collides with the test stack.
The baseline runs W Daphne processes on 8601.. with Redis db 12; the Socket.IO peer W Node processes on
8611.. (its adapter's pub/sub channels are its own; pub/sub ignores the db number)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import psutil

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("VENV", ROOT / ".venv"))
BENCH_DIR = Path(os.environ.get("BENCH_STACK_DIR", "/tmp/parley-bench"))  # noqa: S108 - the bench stack's run dir
DB_NAME = "parley_bench"
DATABASE_URL = f"postgres://root@127.0.0.1:5432/{DB_NAME}"
VHOST = "parley_bench"
BASELINE_PORT = 8601
SOCKETIO_PORT = 8611
SOCKETIO_DURABLE_PORT = 8621
SOCKETIO_DIR = ROOT / "bench" / "peers" / "socketio"
# The bench's own Redis (both servers; db 11 for Parley, db 12 for the baseline): the machine's shared
# Redis is restarted by other people's failover tests, which kills a benchmark half-way.
# BENCH_REDIS_PORT=6379 uses the shared one instead.
REDIS_PORT = int(os.environ.get("BENCH_REDIS_PORT", "6390"))
PRIVATE_REDIS = REDIS_PORT != 6379

PARLEY_ENV = {
    "STACK_DIR": str(BENCH_DIR),
    "STACK_PORT": "8580",
    "STACK_WORKER_BASE_PORT": "8581",
    "STACK_MOTO_PORT": "8590",
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/11",
    "CELERY_BROKER_URL": f"amqp://guest:guest@127.0.0.1:5672/{VHOST}",
    "JWT_ACCESS_MINUTES": "600",
    "DJANGO_SECRET_KEY": "parley-bench-secret-not-for-production",
    "DJANGO_SETTINGS_MODULE": "chatproject.settings.base",
    # The deployment default (docker/k8s/configmap.yaml, .env.example); BENCH_LOG_LEVEL to compare.
    "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "INFO"),
    # Lifted for the generator's users (the only users of the bench stack): at the ramp's top a socket sends
    # up to ~12 messages/s, and the slow-reader scenario primes its room at 40/s per socket. The limiter
    # still runs on every frame; only its numbers change.
    "SOCKET_RATE_BURST": "1000",
    "SOCKET_RATE_PER_SECOND": "1000",
}


def log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


def _run(cmd: list[str], env: dict[str, str] | None = None, check: bool = True, cwd: Path = ROOT) -> str:
    result = subprocess.run(
        cmd, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=180
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


ADMIN_DATABASE_URL = "postgres://root@127.0.0.1:5432/postgres"


def prepare_services(fresh: bool) -> None:
    """The bench's own vhost (idempotent); with `fresh`, an empty database, Redis dbs and queues; PostgreSQL's
    autovacuum on for the run, as a deployment has it (this machine's PostgreSQL runs without)."""
    _autovacuum_for_the_run()
    if fresh:
        _run(["rabbitmqctl", "delete_vhost", VHOST], check=False)
    _run(["rabbitmqctl", "add_vhost", VHOST], check=False)  # fails harmlessly when it exists
    _run(["rabbitmqctl", "set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*"])
    if not fresh:
        return
    import psycopg
    import redis

    with psycopg.connect(ADMIN_DATABASE_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    for db in (11, 12):  # the bench's own Redis databases only
        redis.Redis(host="127.0.0.1", port=REDIS_PORT, db=db).flushdb()


def release_services() -> None:
    """Delete the bench's vhost: its ~30 quorum queues slow every later RabbitMQ start (docs/scaling.md). Give
    PostgreSQL back its own autovacuum setting."""
    _run(["rabbitmqctl", "delete_vhost", VHOST], check=False)
    if _autovacuum_switched_on:
        _set_autovacuum("ALTER SYSTEM RESET autovacuum")
        _autovacuum_switched_on.clear()


# Set while this process has switched autovacuum on (ALTER SYSTEM outlives it): release_services undoes it.
_autovacuum_switched_on: list[bool] = []


def _autovacuum_for_the_run() -> None:
    """Without autovacuum nothing is analysed: the bench's freshly filled tables keep no statistics, and
    PostgreSQL plans the persistence task's queries blind (its look for push subscribers compared every
    membership with every user: ~40 % of PostgreSQL's CPU per stored message, docs/benchmarks.md), and the
    tables it updates all the time are never vacuumed."""
    import psycopg

    with psycopg.connect(ADMIN_DATABASE_URL, autocommit=True) as conn:
        row = conn.execute("SHOW autovacuum").fetchone()
    if row and row[0] == "off" and not _autovacuum_switched_on:
        _set_autovacuum("ALTER SYSTEM SET autovacuum = on")
        _autovacuum_switched_on.append(True)


def _set_autovacuum(statement: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_DATABASE_URL, autocommit=True) as conn:
        conn.execute(statement)
        conn.execute("SELECT pg_reload_conf()")


class BenchRedis:
    """A private redis-server for the run (no persistence), or nothing when the shared one is used."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None

    def up(self) -> None:
        if not PRIVATE_REDIS:
            return
        if _port_open(REDIS_PORT):
            raise RuntimeError(f"127.0.0.1:{REDIS_PORT} is already in use (BENCH_REDIS_PORT)")
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(REDIS_PORT), "--save", "",
             "--appendonly", "no", "--dir", str(BENCH_DIR), "--maxclients", "10000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not _port_open(REDIS_PORT):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the bench's redis-server did not start")
            time.sleep(0.1)
        log(f"private redis-server on 127.0.0.1:{REDIS_PORT} (pid {self.proc.pid})")

    def down(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


def redis_processes() -> list[psutil.Process]:
    if PRIVATE_REDIS:
        return [p for p in _by_name("redis-server") if f":{REDIS_PORT}" in " ".join(p.cmdline())]
    return _by_name("redis-server")


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _procs(pid: int, children: bool = False) -> list[psutil.Process]:
    try:
        proc = psutil.Process(pid)
        return [proc, *proc.children(recursive=True)] if children else [proc]
    except psutil.NoSuchProcess:
        return []


def _by_name(name: str) -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["name"]) if p.info["name"] == name]


class Server:
    name = ""
    workers = 1
    protocol: Literal["json", "socketio"] = "json"
    fixed_only = False  # measured at the fixed loads only: no idle sockets, ramp or slow readers

    def up(self) -> None:
        raise NotImplementedError

    def down(self) -> None:
        raise NotImplementedError

    def stored_count(self) -> int:
        return 0

    def worker_ports(self) -> list[int]:
        raise NotImplementedError

    def worker_pids(self) -> list[int]:
        raise NotImplementedError

    def components(self) -> dict[str, list[psutil.Process]]:
        """What to watch for CPU: the workers, plus whatever else this server uses."""
        return {
            "workers": [p for pid in self.worker_pids() for p in _procs(pid)],
            "redis": redis_processes(),
        }

    def rss(self) -> int:
        return sum(p.memory_info().rss for pid in self.worker_pids() for p in _procs(pid))


class ProcessServer(Server):
    """W worker processes on consecutive ports from `base_port`, started and stopped by the bench itself."""

    base_port = 0

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.procs: list[subprocess.Popen[bytes]] = []

    def command(self, port: int) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def worker_ports(self) -> list[int]:
        return [self.base_port + i for i in range(self.workers)]

    def worker_pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def up(self) -> None:
        logs = BENCH_DIR / f"{self.name}-logs"
        logs.mkdir(parents=True, exist_ok=True)
        for port in self.worker_ports():
            if _port_open(port):
                raise RuntimeError(f"127.0.0.1:{port} is already in use")
            with open(logs / f"{self.name}-{port}.log", "ab") as out:
                self.procs.append(
                    subprocess.Popen(
                        self.command(port),
                        cwd=ROOT,
                        env=self.environment(),
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        deadline = time.monotonic() + 30
        while not all(_port_open(p) for p in self.worker_ports()):
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                self.down()
                raise RuntimeError(f"{self.name} did not start; see {logs}")
            time.sleep(0.2)
        log(f"{self.name} up: W={self.workers} on {self.worker_ports()}")

    def down(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs = []


class Baseline(ProcessServer):
    """The textbook Channels chat (bench/baseline): W Daphne processes."""

    name = "baseline"
    base_port = BASELINE_PORT

    def command(self, port: int) -> list[str]:
        return [str(VENV / "bin/daphne"), "-b", "127.0.0.1", "-p", str(port),
                "bench.baseline.asgi:application"]  # fmt: skip

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.baseline.settings",
            "PYTHONPATH": str(ROOT),
            "BASELINE_REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/12",
        }


class SocketIO(ProcessServer):
    """Socket.IO 4 + @socket.io/redis-adapter (bench/peers/socketio): W Node processes, the bench's Redis."""

    name = "socketio"
    base_port = SOCKETIO_PORT
    protocol = "socketio"

    def command(self, port: int) -> list[str]:
        return ["node", str(SOCKETIO_DIR / "server.mjs"), "--port", str(port),
                "--redis", f"redis://127.0.0.1:{REDIS_PORT}"]  # fmt: skip


class SocketIODurable(SocketIO):
    """The Socket.IO peer that acks and broadcasts a message only once RabbitMQ has confirmed it durable, as
    Parley does (server.mjs --durable): the latency floor of keeping that promise, with nothing else added."""

    name = "socketio-durable"
    base_port = SOCKETIO_DURABLE_PORT
    fixed_only = True  # a latency floor; its throughput and memory are Socket.IO's, measured already

    def command(self, port: int) -> list[str]:
        return [*super().command(port), "--durable", PARLEY_ENV["CELERY_BROKER_URL"]]

    def components(self) -> dict[str, list[psutil.Process]]:
        return {**super().components(), "rabbitmq": _by_name("beam.smp")}


def parley_source(ref: str, src: Path = BENCH_DIR / "src") -> Path:
    """The Parley tree to run: the work tree itself (""), or a clean export of a git ref (e.g. HEAD) into
    `src` — for measuring a known commit while the work tree is mid-edit. Exporting touches no git state."""
    if not ref:
        return ROOT
    subprocess.run(["rm", "-rf", str(src)], check=True)
    src.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    log(f"parley source: {ref} ({_run(['git', 'rev-parse', '--short', ref]).strip()}) exported to {src}")
    return src


def ab_sources(base: str, ref: str, name: str) -> dict[str, Path]:
    """An A/B bench's two versions: A the ref `base`, B the ref `ref` ('' for the work tree), each exported
    (parley_source) to a folder of its own, BENCH_DIR/<name>-a and -b."""
    return {
        "A": parley_source(base, BENCH_DIR / f"{name}-a"),
        "B": parley_source(ref, BENCH_DIR / f"{name}-b"),
    }


def alternating(rounds: int) -> Iterator[tuple[int, str]]:
    """(round from 1, version) in an A/B bench's order: A first in odd rounds, B first in even ones, so that
    whatever else the machine does weighs on both."""
    for index in range(rounds):
        for name in ("A", "B") if index % 2 == 0 else ("B", "A"):
            yield index + 1, name


def postgres_server() -> str:
    """The PostgreSQL server a bench builds its own databases on: DATABASE_URL's (else the machine's), without
    its database name."""
    return os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/parley").rsplit("/", 1)[0]


def recreate_database(server: str, name: str) -> None:
    """An empty database `name` on `server`, whatever it held (its sessions are ended first)."""
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")


def run_in_tree(script: str, tree: Path, arguments: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a bench script's child mode in `tree` (its modules first on PYTHONPATH); its last line, as JSON."""
    # -P: not the script's directory first on sys.path (bench/profile.py would shadow the standard library's).
    command = [sys.executable, "-P", script, *arguments]
    child = subprocess.run(
        command, env={**os.environ, **env, "PYTHONPATH": str(tree)}, cwd=tree, capture_output=True, text=True
    )
    if child.returncode:
        raise RuntimeError(f"{' '.join(command)} failed ({child.returncode}):\n{child.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


class Parley(Server):
    name = "parley"

    def __init__(self, workers: int, src: Path = ROOT) -> None:
        self.workers = workers
        self.src = src
        self.env = {**PARLEY_ENV, "WORKERS": str(workers), "VENV": str(VENV)}

    def worker_ports(self) -> list[int]:
        return [int(PARLEY_ENV["STACK_WORKER_BASE_PORT"]) + i for i in range(self.workers)]

    def _pid(self, name: str) -> int:
        return int((BENCH_DIR / "pids" / f"{name}.pid").read_text())

    def worker_pids(self) -> list[int]:
        return [self._pid(f"web-{i}") for i in range(1, self.workers + 1)]

    def components(self) -> dict[str, list[psutil.Process]]:
        found = super().components()
        found["celery"] = [
            process
            for name in ("celery", "persistence")  # a ref from before 2026-12-04 runs one Celery worker
            if (BENCH_DIR / "pids" / f"{name}.pid").exists()
            for process in _procs(self._pid(name), children=True)
        ]
        found["rabbitmq"] = _by_name("beam.smp")
        found["postgresql"] = _by_name("postgres")  # the machine's: other tenants' queries count too
        return found

    def up(self) -> None:
        log(f"parley stack up: W={self.workers} (STACK_DIR={BENCH_DIR})")
        _run(["scripts/stack.sh", "up"], env=self.env, cwd=self.src)

    def down(self) -> None:
        _run(["scripts/stack.sh", "down"], env=self.env, check=False, cwd=self.src)

    def setup_clients(self, users: int, room_size: int) -> dict[str, Any]:
        import json

        out = BENCH_DIR / "clients.json"
        _run([str(VENV / "bin/python"), str(ROOT / "bench" / "setup_parley.py"), "--users", str(users),
              "--room-size", str(room_size), "--out", str(out)],
             env={**self.env, "PYTHONPATH": str(self.src)}, cwd=self.src)  # fmt: skip
        self._analyze()
        return json.loads(out.read_text())

    def _analyze(self) -> None:
        """Statistics for the tables just filled, as a deployment's autovacuum keeps them: it would have
        analysed them long before a load, and its first look here comes only after a minute."""
        import psycopg

        with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
            conn.execute("ANALYZE")

    def queue_depth(self) -> dict[str, int]:
        out = _run(["rabbitmqctl", "-q", "list_queues", "-p", VHOST, "name", "messages"], check=False)
        depth = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                depth[parts[0]] = int(parts[1])
        return depth

    def stored_count(self) -> int:
        import psycopg

        with psycopg.connect(DATABASE_URL) as conn:
            row = conn.execute("SELECT count(*) FROM messaging_message").fetchone()
        return int(row[0]) if row else 0


class CpuWatch:
    """CPU seconds of each component between start() and stop(); `wall` is the seconds between the two.
    Processes are listed again at stop(): one started in between (a PostgreSQL backend, a pool process)
    counts from its start. One that exited in between counts whole once its parent has reaped it, through
    the parent's children times: a PostgreSQL backend that Celery's worker replaced mid-step (its connection
    recycled) took its CPU out of the step before 2026-12-05."""

    def __init__(self, server: Server) -> None:
        self.server = server

    @staticmethod
    def _times(procs: list[psutil.Process]) -> dict[int, float]:
        """Each process's own CPU seconds and those of its children it has reaped."""
        spent = {}
        for proc in procs:
            try:
                times = proc.cpu_times()
                spent[proc.pid] = times.user + times.system + times.children_user + times.children_system
            except psutil.NoSuchProcess:
                pass
        return spent

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.before = {name: self._times(procs) for name, procs in self.server.components().items()}

    def stop(self) -> dict[str, float]:
        self.wall = time.monotonic() - self.t0
        return {
            name: sum(self._times(procs).values()) - sum(self.before.get(name, {}).values())
            for name, procs in self.server.components().items()
        }
