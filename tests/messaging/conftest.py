import json
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken

from chatproject.asgi import application
from chatproject.celery import app as celery_app
from messaging.delivery.journal import initialise_counter
from tests.accounts.factories import UserFactory
from tests.messaging.factories import make_conversation

ORIGIN = (b"origin", b"http://127.0.0.1")
FRAME_TIMEOUT = 5


class Client:
    """A socket client speaking docs/protocol.md, for tests."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator

    async def send(self, frame: dict | str) -> None:
        await self.communicator.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))

    async def receive(self) -> dict:
        return json.loads(await self.communicator.receive_from(timeout=FRAME_TIMEOUT))

    async def receive_type(self, frame_type: str, *, skip: tuple[str, ...] = ("presence",)) -> dict:
        """The next frame of `frame_type`, passing over only the kinds in `skip`."""
        while True:
            frame = await self.receive()
            if frame["type"] == frame_type:
                return frame
            assert frame["type"] in skip, f"expected {frame_type}, got {frame}"

    async def ack_for(self, client_id: str) -> dict:
        """The ack of one send, passing over whatever else arrives meanwhile."""
        while True:
            frame = await self.receive()
            if frame["type"] in ("message.ack", "error") and (
                frame.get("client_id") == client_id or frame.get("ref") == client_id
            ):
                return frame

    async def nothing_more(self, *, skip: tuple[str, ...] = ("presence",)) -> bool:
        """True when no frame other than the kinds in `skip` arrives within a short window. Used only after a
        sentinel event has proven the stream live, to show that something did *not* happen."""
        while not await self.communicator.receive_nothing(timeout=0.3):
            if (await self.receive())["type"] not in skip:
                return False
        return True

    async def close(self) -> None:
        await self.communicator.disconnect()


@pytest.fixture
async def connect() -> AsyncIterator[Callable]:
    clients: list[Client] = []

    async def _connect(user, *, token: str | None = None, sync: bool = True) -> Client:
        token = token if token is not None else str(AccessToken.for_user(user))
        communicator = WebsocketCommunicator(application, f"/ws/?token={token}", headers=[ORIGIN])
        connected, _ = await communicator.connect(timeout=FRAME_TIMEOUT)
        assert connected
        client = Client(communicator)
        clients.append(client)
        if sync:  # what every client does first: live messages flow from here on
            await client.send({"type": "sync", "since": {}})
            await client.receive_type("sync.done")
        return client

    yield _connect
    for client in clients:
        await client.close()


class WorkerProcess:
    """A real Celery worker process consuming the persistence queue, whose log tells when it is idle."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.ready = threading.Event()
        self.busy = 0  # tasks received and not yet finished
        self.changed = threading.Condition()
        threading.Thread(target=self._follow_log, daemon=True).start()

    def _follow_log(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self.changed:
                if " ready." in line:
                    self.ready.set()
                elif "] received" in line:
                    self.busy += 1
                elif any(outcome in line for outcome in ("] succeeded", "] raised", "] retry", "] rejected")):
                    self.busy -= 1
                self.changed.notify_all()

    def wait_idle(self, timeout: float = 30) -> None:
        """Until every task the worker took is finished, so that no write races the test's database flush."""
        with self.changed:
            assert self.changed.wait_for(lambda: self.busy <= 0, timeout=timeout), "the worker stayed busy"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="session")
def _persistence_worker_process(django_db_setup):
    """One worker process for the session, storing into the test database. (An in-thread worker takes 10 s to
    notice it should stop; a process stops at once.)"""
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chatproject.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "chatproject",
        "worker",
        "-Q",
        "persistence",
        "-P",
        "solo",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
        "-l",
        "info",
    ]
    worker = WorkerProcess(command, env)
    assert worker.ready.wait(timeout=60), "the Celery worker did not start"
    yield worker
    worker.stop()


def queued_for_persistence() -> int:
    with celery_app.connection_for_write() as connection:
        return connection.default_channel.queue_declare(queue="persistence", passive=True).message_count


@pytest.fixture
def persistence_worker(transactional_db, _persistence_worker_process):
    """A real Celery worker storing what this test sends (the test database must be transactional)."""
    yield _persistence_worker_process
    _persistence_worker_process.wait_idle()
    while queued_for_persistence():  # a task published just now: let the worker take and finish it
        with _persistence_worker_process.changed:
            _persistence_worker_process.changed.wait(timeout=1)
        _persistence_worker_process.wait_idle()


@pytest.fixture
def ada(transactional_db):
    return UserFactory(username="ada")


@pytest.fixture
def bob(transactional_db):
    return UserFactory(username="bob")


@pytest.fixture
def eve(transactional_db):
    """Someone who is in none of the fixtures' conversations."""
    return UserFactory(username="eve")


@pytest.fixture
def team(ada, bob):
    """A group of ada (owner) and bob, with its seq counter initialised as the service does."""
    conversation = make_conversation(ada, bob, title="Team")
    initialise_counter(conversation.pk)
    return conversation
