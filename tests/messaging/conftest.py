import asyncio
import json
from collections.abc import AsyncIterator, Callable

import pytest
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from chatproject.asgi import application
from core.per_loop import PerLoop
from messaging.delivery import publisher
from messaging.delivery.broker import BrokerPublisher
from messaging.delivery.eventlog import initialise_counter
from messaging.delivery.journal import RedisJournal
from tests.accounts.factories import UserFactory
from tests.messaging.factories import make_conversation
from tests.messaging.relay import SilencingRelay, broker_url

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

    async def close_code(self) -> int:
        """The code the server closes this socket with (frames before it are passed over)."""
        while True:
            output = await self.communicator.receive_output(timeout=FRAME_TIMEOUT)
            if output["type"] == "websocket.close":
                return output["code"]

    async def close(self) -> None:
        # A receive that timed out cancelled the application (asgiref), and the test failed there; its
        # CancelledError out of the fixture's teardown would skip the teardowns after it, the database
        # flush among them, and fail every later test on leftover rows.
        if not self.communicator.future.cancelled():
            await self.communicator.disconnect()


@pytest.fixture
async def connect() -> AsyncIterator[Callable]:
    clients: list[Client] = []

    async def _connect(user, *, token: str | None = None, sync: bool = True) -> Client:
        token = token if token is not None else str(AccessToken.for_user(user))
        communicator = WebsocketCommunicator(application, f"/ws/?v=2&token={token}", headers=[ORIGIN])
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


# `db` follows the test's marker: socket tests mark themselves django_db(transaction=True).
@pytest.fixture
def ada(db):
    return UserFactory(username="ada")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


@pytest.fixture
def cy(db):
    return UserFactory(username="cy")


@pytest.fixture
def eve(db):
    """Someone who is in none of the fixtures' conversations."""
    return UserFactory(username="eve")


@pytest.fixture
def as_user():
    """An API client authenticated as a given user."""

    def _as_user(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _as_user


@pytest.fixture
def team(ada, bob):
    """A group of ada (owner) and bob, with its seq counter initialised as the service does."""
    conversation = make_conversation(ada, bob, title="Team")
    initialise_counter(conversation.pk)
    return conversation


@pytest.fixture
def elsewhere(bob, eve):
    """A conversation bob shares with eve, to prove eve's event stream is live but clean."""
    conversation = make_conversation(bob, eve, title="Elsewhere")
    initialise_counter(conversation.pk)
    return conversation


@pytest.fixture
async def relay() -> AsyncIterator[SilencingRelay]:
    relay = SilencingRelay(broker_url().port or 5672)
    await relay.start()
    yield relay
    relay.stop()


def publish_to(monkeypatch: pytest.MonkeyPatch, url: str) -> PerLoop[BrokerPublisher]:
    """Every send of this test (until undone) publishes to `url`, on a connection of its own; the caller
    closes it."""
    brokers = PerLoop(lambda: BrokerPublisher(url))
    monkeypatch.setattr(publisher, "_brokers", brokers)
    return brokers


@pytest.fixture
async def sends_through_relay(relay: SilencingRelay, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """Every send of this test publishes through `relay`."""
    brokers = publish_to(monkeypatch, str(broker_url().with_port(relay.port)))
    yield
    await brokers.get().close()


@pytest.fixture
def stalled_announcements(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """A send's web worker stalls between the ack and the announcement (the recent log's copy and the
    broadcast, messaging.delivery.send) until the event is set, as on a slow Redis round trip or a paused
    event loop; meanwhile the persistence worker may store the message, and it may be changed."""
    announce = asyncio.Event()
    commit = RedisJournal.commit

    async def stalled(self: RedisJournal, message, **kwargs) -> None:
        await announce.wait()
        await commit(self, message, **kwargs)

    monkeypatch.setattr(RedisJournal, "commit", stalled)
    return announce
