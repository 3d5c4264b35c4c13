import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from kombu import Message, Queue
from rest_framework.test import APIClient

from accounts.models import User
from chatproject.celery import app as celery_app
from core.queues import convert
from core.redis import get_redis
from realtime.redis_watch import EPOCH_KEY
from tests.accounts.factories import UserFactory
from tests.mail import SmtpServer

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.import_plugin("tests.hang_guard")


def _clean_redis_keys() -> None:
    """Empty the test Redis database but for the epoch key: removing it is how a Redis restart looks to
    the workers' watch (realtime.redis_watch), which would close every socket of the test."""
    client = get_redis()
    for key in client.scan_iter(count=1000):
        if key != EPOCH_KEY.encode():
            client.delete(key)


@pytest.fixture(autouse=True)
def _clean_redis():
    """Throttle counters, seq counters and the recent log live in Redis: every test starts from a clean
    slate."""
    _clean_redis_keys()
    yield
    _clean_redis_keys()


@pytest.fixture(autouse=True, scope="session")
def _broker_answers() -> None:
    """A broker that accepts connections but no longer answers would fail every test, one connection
    timeout at a time, until the run's time is up: stop at once and say why instead."""
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=15)
    except Exception as error:  # noqa: BLE001  (any failure means the same: no broker to test against)
        pytest.exit(f"RabbitMQ does not answer ({error}); `make services` restarts it", returncode=3)


@pytest.fixture(autouse=True)
def _empty_task_queues(_broker_answers: None):
    """Tasks published by one test must not be run by a later test's worker against other rows. A queue left
    by an older checkout with another type (classic, where quorum is now declared) is converted first."""
    with celery_app.connection_for_write() as connection:
        for queue in celery_app.conf.task_queues:
            convert(connection, queue)
            bound = queue.bind(connection.default_channel)
            bound.declare()
            bound.purge()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def auth_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


class WorkerProcess:
    """A real Celery worker process consuming the persistence queue, whose log tells when it is idle."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.ready = threading.Event()
        self.busy = 0  # tasks received and not yet finished
        self.finished = 0  # tasks run to an outcome
        self.output: list[str] = []  # every line it printed so far
        self.changed = threading.Condition()
        threading.Thread(target=self._follow_log, daemon=True).start()

    def _follow_log(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self.changed:
                self.output.append(line)
                if " ready." in line:
                    self.ready.set()
                elif "] received" in line:
                    self.busy += 1
                elif any(outcome in line for outcome in ("] succeeded", "] raised", "] retry", "] reject")):
                    self.busy -= 1
                    self.finished += 1
                self.changed.notify_all()

    def wait_idle(self, timeout: float = 30) -> None:
        """Until every task the worker took is finished, so that no write races the test's database flush."""
        with self.changed:
            assert self.changed.wait_for(lambda: self.busy <= 0, timeout=timeout), "the worker stayed busy"

    def stop(self) -> None:
        """Called once idle. SIGTERM would wait up to 10 s for the worker's event loop to wake: nothing is
        running, so stop it at once."""
        self.process.kill()
        self.process.wait(timeout=30)


def start_persistence_worker(**settings_env: str) -> WorkerProcess:
    """A worker process storing into the test database, started as every deployment starts one
    (scripts/persistence-worker: the persistence queue, one pool thread), with `settings_env` as environment
    variables (settings). An in-thread worker would take 10 s to notice it should stop; a process stops at
    once."""
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        **settings_env,
        "DJANGO_SETTINGS_MODULE": "chatproject.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "CELERY": str(Path(sys.executable).with_name("celery")),
    }
    command = [
        str(ROOT / "scripts" / "persistence-worker"),
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
    ]
    worker = WorkerProcess(command, env)
    assert worker.ready.wait(timeout=60), "the Celery worker did not start"
    return worker


def wait_until(predicate: Callable[[], bool], what: str, *, timeout: float = 30.0) -> None:
    """Poll `predicate` (a row, a queue depth, a log line written by another process) until it holds; fail
    naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def someone_waits_for_a_lock() -> bool:
    """Whether a session of this test database waits for a row or table lock (another thread's transaction,
    paused or racing, behind the one the test holds)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return bool(cursor.fetchone()[0])


def staff_with(app_label: str, model: str, *actions: str) -> Client:
    """The admin signed in as a staff member (not a superuser) with exactly these permissions on one model
    (`view`, `change`, …)."""
    member = cast(User, UserFactory(is_staff=True))
    codenames = [f"{action}_{model}" for action in actions]
    member.user_permissions.set(
        Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
    )
    client = Client()
    client.force_login(member)
    return client


def run_action(client: Client, changelist: str, action: str, objects, reason: str = "spam") -> Any:
    """An admin action as staff run it: picked in the changelist's menu with `reason` typed beside it, Go
    pressed, and the confirmation page's Yes (Remove, Suspend, Erase and the revocations ask first)."""
    selected = {"action": action, "_selected_action": [str(o.pk) for o in objects], "reason": reason}
    return client.post(changelist, {**selected, "index": 0, "post": "yes"}, follow=True)


def take_queued_task(queue_name: str) -> Message:
    """The next task message on a queue, taken off it: what was published, where no worker consumes."""
    with celery_app.connection_for_write() as connection:
        message = (
            Queue(queue_name, durable=True).bind(connection.default_channel).get(no_ack=True, accept=["json"])
        )
        assert message is not None, f"no task was queued on {queue_name}"
        return message


def queued_for_persistence() -> int:
    with celery_app.connection_for_write() as connection:
        declared: Any = Queue("persistence").bind(connection.default_channel).queue_declare(passive=True)
        return int(declared.message_count)


@pytest.fixture
def persistence_worker(transactional_db):
    """A real Celery worker storing what this test sends, for this test only: it is stopped, idle, before the
    test database is flushed (a write racing the flush deadlocks)."""
    worker = start_persistence_worker()
    yield worker
    worker.wait_idle()
    while queued_for_persistence():  # a task published just now: let the worker take and finish it
        with worker.changed:
            worker.changed.wait(timeout=1)
        worker.wait_idle()
    worker.stop()


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run tasks queued with .delay()/.apply_async() in-process, retries included, without a broker."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, True
    yield
    conf.task_always_eager, conf.task_eager_propagates = saved


@pytest.fixture
def smtp_server(settings, eager_celery) -> Iterator[SmtpServer]:
    """A real SMTP server Parley's email task sends to; tasks run in-process, as in the embedded mode."""
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    yield server
    server.stop()
