"""The full stack (scripts/stack.sh: 2 uvicorn web workers behind nginx, a Celery worker, moto S3) on this
machine's PostgreSQL, Redis and RabbitMQ, started once for the stack tests, on its own ports, database, Redis
db and RabbitMQ vhost so that nothing else a test does can touch its queues."""

import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests
from psycopg import sql

from tests import slot

ROOT = Path(__file__).resolve().parents[2]
VHOST = slot.name("parley_stack_test")
STACK_ENV = {
    "STACK_DIR": str(ROOT / ".stack-test"),
    "STACK_PORT": str(slot.port(8180)),
    "STACK_WORKER_BASE_PORT": str(slot.port(8181)),
    "STACK_MOTO_PORT": str(slot.port(8190)),
    "STACK_MAIL_PORT": str(slot.port(8191)),
    "WORKERS": "2",
    "DATABASE_URL": f"postgres://root@127.0.0.1:5432/{slot.name('parley_stack_test')}",
    "REDIS_URL": slot.redis_url(13),
    "CELERY_BROKER_URL": f"amqp://guest:guest@127.0.0.1:5672/{VHOST}",
    "JWT_ACCESS_MINUTES": "60",
    # Every test user registers from 127.0.0.1: the per-IP limits are for real clients; and some tests send
    # hundreds of messages from one socket: its rate limit is for people.
    "THROTTLE_AUTH_IP": "100000/min",
    "THROTTLE_AUTH_USERNAME": "100000/min",
    "SOCKET_RATE_BURST": "100000",
    "SOCKET_RATE_PER_SECOND": "100000",
    # Web push to the tests' fake push service (tests/notifications/fake_push.py) on 127.0.0.1, at once.
    "PUSH_ALLOW_HTTP_ENDPOINTS": "true",
    "PUSH_ENDPOINT_HOST_SUFFIXES": "127.0.0.1",
    "PUSH_DELAY_SECONDS": "0",
}
LOG_DIR = Path(STACK_ENV["STACK_DIR"]) / "logs"
# JSON log lines at INFO or DEBUG; anything else (warnings, errors, tracebacks, plain output) is news.
ROUTINE_LOG_LINE = re.compile(r'"level": ?"(INFO|DEBUG)"')
NGINX = f"http://127.0.0.1:{STACK_ENV['STACK_PORT']}"
WS_NGINX = f"ws://127.0.0.1:{STACK_ENV['STACK_PORT']}/ws/"


def worker_ws(index: int) -> str:
    return f"ws://127.0.0.1:{int(STACK_ENV['STACK_WORKER_BASE_PORT']) + index - 1}/ws/"


def stack_command(*args: str, env: dict[str, str] = STACK_ENV) -> None:
    """scripts/stack.sh for this stack (or another: `env` names its ports, database, Redis and vhost)."""
    hidden = ("DJANGO_SETTINGS_MODULE", "PROMETHEUS_MULTIPROC_DIR")  # the stack picks its own
    inherited = {key: value for key, value in os.environ.items() if key not in hidden}
    subprocess.run(["scripts/stack.sh", *args], cwd=ROOT, env={**inherited, **env}, check=True, timeout=180)


@contextmanager
def own_vhost(name: str) -> Iterator[None]:
    """A RabbitMQ vhost for one stack, new and empty, deleted after it. Each vhost's Celery workers declare
    ~30 quorum queues (28 of them Celery's native delayed delivery), which RabbitMQ recovers one by one at
    every start: vhosts left behind run after run made a restart take many minutes and wedged the broker."""
    _rabbitmqctl("delete_vhost", name, check=False)  # what an interrupted run left
    _rabbitmqctl("add_vhost", name)
    _rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    try:
        yield
    finally:
        _rabbitmqctl("delete_vhost", name)


def _rabbitmqctl(*args: str, check: bool = True) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=check, capture_output=True, timeout=120)


@dataclass
class StackUser:
    id: int
    username: str
    token: str


@dataclass
class Stack:
    http: requests.Session
    url: str = NGINX
    database_url: str = STACK_ENV["DATABASE_URL"]

    def post(self, path: str, *, token: str | None = None, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.post(self.url + path, headers=headers, timeout=10, **kwargs)

    def get(self, path: str, *, token: str | None = None, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.get(self.url + path, headers=headers, timeout=10, **kwargs)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of the stack's PostgreSQL."""
        with psycopg.connect(self.database_url.replace("postgres://", "postgresql://")) as db:
            return db.execute(sql, params).fetchall()

    def user(self) -> StackUser:
        username = f"u{uuid.uuid4().hex[:12]}"
        password = "stack-test-password-42"
        created = self.post(
            "/api/v1/auth/register/",
            json={"username": username, "email": f"{username}@example.com", "password": password},
        )
        assert created.status_code == 201, created.text
        token = self.post("/api/v1/auth/token/", json={"username": username, "password": password})
        return StackUser(created.json()["id"], username, token.json()["access"])

    def group(self, owner: StackUser, *members: StackUser) -> int:
        response = self.post(
            "/api/v1/conversations/",
            token=owner.token,
            json={"kind": "group", "title": "stack test", "members": [m.id for m in members]},
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def stored(self, message_ids: list[str]) -> list[tuple[str, int]]:
        """(id, seq) of the given messages as rows in the stack's PostgreSQL."""
        with psycopg.connect(self.database_url.replace("postgres://", "postgresql://")) as db:
            rows = db.execute(
                "SELECT id::text, seq FROM messaging_message WHERE id = ANY(%s::uuid[])", (message_ids,)
            ).fetchall()
        return [(row[0], row[1]) for row in rows]

    def stored_in(self, conversation_id: int) -> list[tuple[str, str, int]]:
        """(id, client_id, seq) of every row of a conversation."""
        with psycopg.connect(self.database_url.replace("postgres://", "postgresql://")) as db:
            rows = db.execute(
                "SELECT id::text, client_id::text, seq FROM messaging_message "
                "WHERE conversation_id = %s ORDER BY seq",
                (conversation_id,),
            ).fetchall()
        return [(row[0], row[1], row[2]) for row in rows]


@contextmanager
def postgresql_down(stack: Stack) -> Iterator[None]:
    """What PostgreSQL restarting does to the workers: every session on the stack's database ends, and new
    ones are refused until the block ends."""
    database = stack.database_url.rsplit("/", 1)[1]
    server = stack.database_url.replace("postgres://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    allow = sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}")
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(allow.format(sql.Identifier(database), sql.SQL("false")))
        try:
            sessions = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s"
            admin.execute(sessions, (database,))
            yield
        finally:
            admin.execute(allow.format(sql.Identifier(database), sql.SQL("true")))


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with own_vhost(VHOST):
        stack_command("down")
        stack_command("up")
        try:
            with requests.Session() as http:
                yield Stack(http)
        finally:
            stack_command("down")


def log_sizes(log_dir: Path) -> dict[Path, int]:
    return {path: path.stat().st_size for path in log_dir.glob("*.log")}


def notable_log_lines(since: dict[Path, int], log_dir: Path, limit: int = 200) -> str:
    """What the stack's processes logged above INFO since `since`, per process."""
    out: list[str] = []
    for path, size in sorted(log_sizes(log_dir).items()):
        if path.name.endswith("-access.log"):  # one line per request
            continue
        with path.open(errors="replace") as log:
            log.seek(since.get(path, 0) if since.get(path, 0) <= size else 0)
            lines = [line.rstrip() for line in log if line.strip() and not ROUTINE_LOG_LINE.search(line)]
        if lines:
            out += [f"--- {path.name}", *lines[-limit:]]
    return "\n".join(out) or "(nothing above INFO)"


def call_reporting_stack_logs(item: pytest.Item, log_dir: Path) -> Iterator[None]:
    """A test's call (a pytest_runtest_call wrapper's body) that, if it fails, carries what the stack in
    `log_dir` logged above INFO while it ran: CI keeps no stack logs."""
    before = log_sizes(log_dir)
    try:
        return (yield)
    except BaseException:
        item.add_report_section("call", "stack logs", notable_log_lines(before, log_dir))
        raise


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    return (yield from call_reporting_stack_logs(item, LOG_DIR))
