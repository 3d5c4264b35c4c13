"""Property-based fuzzing of the socket protocol (docs/protocol.md) with hypothesis.

ada, a member of `team` and `side`, sends sequences of frames: garbage text and bytes, truncated and
oversized JSON, wrongly typed fields, valid-ish frames in any order, and frames about `private` (bob and
eve's conversation) and its messages. Whatever she sends:
- every reply is a JSON object with a documented `type`, every error has a documented code;
- the application never raises (the socket test client re-raises a consumer's exception) and the socket
  stays open: a barrier frame after each frame is answered (with an `unknown_type` error naming it);
- eve, who shares nothing with ada, receives nothing: her next frame is bob's sentinel in `private`;
- at the end, every stored row is well-formed and comes from a send ada was acknowledged for.

Fixtures are made once per test, not per example: the examples share the conversations, and the row
checks at the end cover them all."""

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework_simplejwt.tokens import AccessToken

from chatproject.asgi import application
from core.errors import Refused
from messaging import events
from messaging.delivery.eventlog import initialise_counter
from messaging.delivery.send import message_send
from messaging.events import MessagePayload
from messaging.models import Message, Reaction
from realtime.frames import MAX_FRAME_BYTES
from tests.conftest import wait_until
from tests.messaging.conftest import ORIGIN
from tests.messaging.factories import make_conversation

pytestmark = pytest.mark.django_db(transaction=True)

ERROR_CODES = {
    "invalid_json",
    "too_large",
    "unknown_type",
    "invalid",
    "not_found",
    "forbidden",
    "rate_limited",
    "unavailable",
    "conflict",
}
SERVER_TYPES = {
    "message.ack",
    "message.new",
    "message.updated",
    "message.deleted",
    "reaction",
    "typing",
    "read",
    "presence",
    "membership",
    "sync.done",
    "pong",
    "error",
}
CLIENT_TYPES = [
    "message.send",
    "message.edit",
    "message.delete",
    "reaction.add",
    "reaction.remove",
    "typing",
    "read",
    "sync",
    "ping",
]
TIMEOUT = 5
STORE_TIMEOUT = 30


# --- Symbolic references, resolved against the fixtures when an example runs


@dataclass(frozen=True)
class Ref:
    name: str  # team, side, private: conversation ids; ada_msg, bob_msg, private_msg: message ids


CONVERSATION_REFS = [Ref("team"), Ref("side"), Ref("private")]
MESSAGE_REFS = [Ref("ada_msg"), Ref("bob_msg"), Ref("private_msg")]

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
junk = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
conversation_ids = st.one_of(
    st.sampled_from(CONVERSATION_REFS),
    st.integers(min_value=-1, max_value=10**6),
    st.sampled_from([2**63 - 1, 2**63, -(2**63), 0]),
    st.integers().map(str),
    junk,
)
message_ids = st.one_of(st.sampled_from(MESSAGE_REFS), st.uuids().map(str), junk)
client_ids = st.one_of(
    st.uuids().map(str),
    st.sampled_from(["00000000-0000-0000-0000-000000000000", "6F1C2D3E-4B5A-4C7D-8E9F-0A1B2C3D4E5F"]),
    st.uuids().map(lambda u: u.hex),  # a UUID without dashes: still a UUID to Python
    junk,
)
bodies = st.one_of(
    st.text(min_size=1, max_size=50),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "\u0000nul",
            "\u202eright-to-left",
            "   ",
            "",
            "\ud800",  # a lone surrogate: json.dumps escapes it, the server must refuse or store it safely
            "x" * 10_000,
            "x" * 10_001,
        ]
    ),
    junk,
)
emojis = st.one_of(
    st.sampled_from(["👍", "🎉", "+1", "x" * 32, "x" * 33, " ", ""]), st.text(max_size=40), junk
)
seqs = st.one_of(st.integers(min_value=-5, max_value=2**64), junk)
maybe = st.booleans()


@st.composite
def field_frame(draw: st.DrawFn) -> dict[str, Any]:
    """A frame of a real type, each field valid-ish, wrong or missing, plus stray fields."""
    frame_type = draw(st.sampled_from(CLIENT_TYPES) | st.text(max_size=15) | junk)
    fields: dict[str, st.SearchStrategy[Any]] = {
        "conversation": conversation_ids,
        "message": message_ids,
        "body": bodies,
        "client_id": client_ids,
        "reply_to": st.none() | message_ids,
        "attachments": st.lists(st.uuids().map(str), max_size=12) | junk,
        "emoji": emojis,
        "state": st.sampled_from(["start", "stop"]) | junk,
        "seq": seqs,
        "since": st.dictionaries(
            st.one_of(
                conversation_ids.map(lambda c: c if isinstance(c, Ref) else str(c)), st.text(max_size=4)
            ),
            seqs,
            max_size=4,
        )
        | junk,
    }
    frame: dict[str, Any] = {} if draw(st.integers(0, 20)) == 0 else {"type": frame_type}
    for name, strategy in fields.items():
        if draw(maybe):
            frame[name] = draw(strategy)
    frame.update(draw(st.dictionaries(st.text(max_size=8), junk, max_size=2)))
    return frame


@st.composite
def valid_send(draw: st.DrawFn) -> dict[str, Any]:
    """A send ada is entitled to make, so that the fuzzing also happens around real messages."""
    return {
        "type": "message.send",
        "conversation": draw(st.sampled_from([Ref("team"), Ref("side")])),
        "body": draw(st.text(min_size=1, max_size=30).filter(str.strip)),
        "client_id": str(draw(st.uuids())),
        "reply_to": draw(st.none() | st.sampled_from(MESSAGE_REFS)),
    }


@dataclass(frozen=True, repr=False)
class Raw:
    """A frame sent exactly as given: text that need not be JSON, or bytes."""

    text: str | None = None
    data: bytes | None = None

    def __repr__(self) -> str:
        value: str | bytes = (self.text or "") if self.data is None else self.data
        shown = repr(value) if len(value) <= 60 else f"{value[:40]!r}... ({len(value)} long)"
        return f"Raw({shown})"


def _named(value: Any) -> Any:
    """Refs as plain strings, for a frame that is cut before the references are resolved."""
    if isinstance(value, Ref):
        return value.name
    if isinstance(value, dict):
        return {_named(k): _named(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_named(v) for v in value]
    return value


raw_frames = st.one_of(
    st.text(max_size=100).map(lambda t: Raw(text=t)),
    st.binary(max_size=100).map(lambda b: Raw(data=b)),
    st.sampled_from(
        [
            Raw(text="null"),
            Raw(text="[]"),
            Raw(text='"ping"'),
            Raw(text='{"type": "ping"'),
            Raw(text='{"type": NaN}'),
            Raw(text="{" * 10_000),  # deep nesting: json must refuse it without crashing the consumer
            Raw(text="[" * 100_000),
            Raw(text=json.dumps({"type": "message.send", "body": "x" * MAX_FRAME_BYTES})),
            Raw(text=json.dumps({"type": "ping", "pad": "é" * (MAX_FRAME_BYTES // 2)})),  # small in chars
            Raw(data=b"\xff\xfe" * 10),
        ]
    ),
)


@st.composite
def truncated(draw: st.DrawFn) -> Raw:
    text = json.dumps(_named(draw(field_frame() | valid_send())))
    return Raw(text=text[: draw(st.integers(0, max(0, len(text) - 1)))])


frames = st.one_of(field_frame(), valid_send(), valid_send(), raw_frames, truncated())
frame_sequences = st.lists(frames, min_size=1, max_size=6)


# --- The world the examples run in


@dataclass
class World:
    ada: Any
    bob: Any
    eve: Any
    refs: dict[str, Any]
    acked_client_ids: set[str] = field(default_factory=set)
    sentinel_client_ids: set[str] = field(default_factory=set)
    seed_client_ids: set[str] = field(default_factory=set)
    error_codes_by_ref: dict[str, list[str]] = field(default_factory=dict)  # what a refused frame was told


def _send_as(world: World, user: Any, conversation: int, body: str) -> MessagePayload:
    client_id = uuid.uuid4()
    message, _ = async_to_sync(message_send)(
        sender=events.sender_payload(user), conversation_id=conversation, body=body, client_id=client_id
    )
    world.seed_client_ids.add(str(client_id))
    return message


@pytest.fixture
def world(ada, bob, eve, persistence_worker) -> World:
    team, side, private = (
        make_conversation(ada, bob, title="Team"),
        make_conversation(ada, bob, kind="direct"),
        make_conversation(bob, eve, title="Private"),
    )
    for conversation in (team, side, private):
        initialise_counter(conversation.pk)
    world = World(ada=ada, bob=bob, eve=eve, refs={"team": team.pk, "side": side.pk, "private": private.pk})
    world.refs["ada_msg"] = _send_as(world, ada, team.pk, "ada's")["id"]
    world.refs["bob_msg"] = _send_as(world, bob, team.pk, "bob's")["id"]
    world.refs["private_msg"] = _send_as(world, bob, private.pk, "bob to eve")["id"]
    wait_until(lambda: Message.objects.count() == 3, "the seed messages to be stored", timeout=STORE_TIMEOUT)
    return world


def _resolve(value: Any, refs: dict[str, Any]) -> Any:
    if isinstance(value, Ref):
        return refs[value.name]
    if isinstance(value, dict):
        return {_resolve(k, refs) if isinstance(k, Ref) else k: _resolve(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, refs) for v in value]
    return value


def _since_keys_as_strings(frame: dict[str, Any]) -> dict[str, Any]:
    since = frame.get("since")
    if isinstance(since, dict):
        frame = {**frame, "since": {str(k): v for k, v in since.items()}}
    return frame


async def _open(user: Any) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        application, f"/ws/?v=2&token={AccessToken.for_user(user)}", headers=[ORIGIN]
    )
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    await communicator.send_to(text_data=json.dumps({"type": "sync", "since": {}}))  # as every client does
    while (await _receive(communicator))["type"] != "sync.done":
        pass
    return communicator


async def _receive(communicator: WebsocketCommunicator) -> dict[str, Any]:
    """The next frame; a close or an application exception fails the example here."""
    text = await communicator.receive_from(timeout=TIMEOUT)
    reply = json.loads(text)
    assert isinstance(reply, dict), reply
    assert reply.get("type") in SERVER_TYPES, reply
    if reply["type"] == "error":
        assert reply["code"] in ERROR_CODES, reply
        assert set(reply) == {"type", "code", "detail", "ref"}, reply
    return reply


async def _send(communicator: WebsocketCommunicator, frame: Any) -> None:
    if isinstance(frame, Raw):  # straight to the application: the test client refuses empty frames
        key, value = ("text", frame.text) if frame.data is None else ("bytes", frame.data)
        await communicator.send_input({"type": "websocket.receive", key: value})
    else:
        await communicator.send_to(text_data=json.dumps(frame, default=str))


async def _replies_until_barrier(communicator: WebsocketCommunicator) -> list[dict[str, Any]]:
    """Everything the last frame caused. The consumer takes frames in turn, so a barrier sent after it is
    answered after all of that: a frame of an unknown type whose `client_id` is fresh comes back as an error
    naming it. (A ping would not do: a fuzzed ping's own pong would end the wait one frame early, and the
    replies to the next frame would go unread.)"""
    barrier = str(uuid.uuid4())
    await _send(communicator, {"type": "fuzz.barrier", "client_id": barrier})
    replies = []
    while (reply := await _receive(communicator)).get("ref") != barrier:
        replies.append(reply)
    assert reply["code"] == "unknown_type", reply
    return replies


async def _scenario(world: World, sequence: list[Any]) -> None:
    ada_tab, eve_tab = await _open(world.ada), await _open(world.eve)
    try:
        for frame in sequence:
            if not isinstance(frame, Raw):
                frame = _since_keys_as_strings(_resolve(frame, world.refs))
            await _send(ada_tab, frame)
            for reply in await _replies_until_barrier(ada_tab):
                if reply["type"] == "message.ack":
                    assert reply["message"]["conversation"] in (world.refs["team"], world.refs["side"])
                    world.acked_client_ids.add(reply["message"]["client_id"])
                elif reply["type"] == "error" and reply["ref"]:
                    world.error_codes_by_ref.setdefault(reply["ref"], []).append(reply["code"])
        # eve shares nothing with ada: the first thing she hears is bob's sentinel in their conversation
        sentinel_id = await _send_sentinel(world)
        while (heard := await _receive(eve_tab))["type"] == "presence":
            assert heard["user"] != world.ada.pk
        assert heard["type"] == "message.new", heard
        assert heard["message"]["client_id"] == str(sentinel_id), heard
    finally:
        await ada_tab.disconnect()
        await eve_tab.disconnect()


async def _send_sentinel(world: World) -> uuid.UUID:
    """bob's message in `private`, retried with its client_id while the broker is unavailable."""
    sentinel_id = uuid.uuid4()
    world.sentinel_client_ids.add(str(sentinel_id))
    for attempt in range(10):
        try:
            await message_send(
                sender=events.sender_payload(world.bob),
                conversation_id=world.refs["private"],
                body="sentinel",
                client_id=sentinel_id,
            )
            return sentinel_id
        except Refused as error:
            if error.code != "unavailable" or attempt == 9:
                raise
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


def _assert_rows_are_well_formed(world: World) -> None:
    refs = world.refs
    expected = world.acked_client_ids | world.sentinel_client_ids | world.seed_client_ids
    wait_until(
        lambda: Message.objects.count() >= len(expected),
        "every acknowledged message to be stored",
        timeout=STORE_TIMEOUT,
    )
    for message in Message.objects.all():
        told = world.error_codes_by_ref.get(str(message.client_id))
        assert str(message.client_id) in expected, f"stored without an ack: {message.client_id}, told {told}"
        if message.conversation_id == refs["private"]:
            assert message.sender_id == world.bob.pk
            assert message.edited_at is None
            assert message.deleted_at is None
        else:
            assert message.conversation_id in (refs["team"], refs["side"])
            assert message.sender_id in (world.ada.pk, world.bob.pk)
        if message.deleted_at is None:
            assert message.body.strip(), message.body
            assert len(message.body) <= Message.BODY_MAX_LENGTH
        else:
            assert message.body == ""
        if message.reply_to_id is not None:
            parent = Message.objects.filter(pk=message.reply_to_id).first()
            assert parent is None or parent.conversation_id == message.conversation_id
    assert Message.objects.count() == len(expected)
    for reaction in Reaction.objects.select_related("message"):
        assert reaction.message.conversation_id != refs["private"]
        assert 0 < len(reaction.emoji) <= Reaction.EMOJI_MAX_LENGTH
        assert reaction.emoji.strip()


def test_no_frame_breaks_the_socket_leaks_an_event_or_stores_a_bad_row(world):
    @settings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,  # examples share one database: a replayed failure would not mean the same
    )
    @given(sequence=frame_sequences)
    def run(sequence: list[Any]) -> None:
        asyncio.run(_scenario(world, sequence))

    run()
    _assert_rows_are_well_formed(world)


@pytest.mark.parametrize(
    "sequence",
    [
        # out of order: read, edit, react and delete before anything is sent, then a reply to a message of
        # another conversation, then the same client_id in another conversation
        [
            {"type": "read", "conversation": Ref("team"), "seq": 10**6},
            {"type": "message.edit", "message": Ref("private_msg"), "body": "mine now"},
            {"type": "reaction.add", "message": Ref("private_msg"), "emoji": "👍"},
            {"type": "message.delete", "message": Ref("private_msg")},
            {"type": "message.edit", "message": Ref("bob_msg"), "body": "not yours"},
            {
                "type": "message.send",
                "conversation": Ref("team"),
                "body": "a reply across conversations",
                "client_id": "11111111-1111-4111-8111-111111111111",
                "reply_to": Ref("private_msg"),
            },
            {
                "type": "message.send",
                "conversation": Ref("side"),
                "body": "same client_id, other conversation",
                "client_id": "11111111-1111-4111-8111-111111111111",
            },
            {"type": "sync", "since": {Ref("private"): 0, Ref("team"): 2**62}},
            {"type": "typing", "conversation": Ref("private"), "state": "start"},
        ],
        [Raw(text="{" * 10_000), Raw(text="[" * 100_000), Raw(data=b"\xff" * 100)],
        # found by the fuzzer: an unhashable `type` crashed the consumer and dropped the connection
        [{"type": ["message.send"]}, {"type": {"ping": 1}}],
        # found by the fuzzer: text PostgreSQL cannot store (NUL, a lone surrogate) was acknowledged, then
        # failed its whole persistence batch forever; edits and reactions with it crashed the consumer
        [
            {
                "type": "message.send",
                "conversation": Ref("team"),
                "body": "nul\x00byte",
                "client_id": "22222222-2222-4222-8222-222222222222",
            },
            {
                "type": "message.send",
                "conversation": Ref("team"),
                "body": "lone \ud800 surrogate",
                "client_id": "33333333-3333-4333-8333-333333333333",
            },
            {"type": "message.edit", "message": Ref("ada_msg"), "body": "nul\x00byte"},
            {"type": "reaction.add", "message": Ref("ada_msg"), "emoji": "\x00"},
        ],
    ],
    ids=["out-of-order-and-foreign", "deep-nesting-and-bytes", "unhashable-type", "unstorable-text"],
)
def test_known_hostile_sequences(world, sequence):
    asyncio.run(_scenario(world, sequence))
    _assert_rows_are_well_formed(world)
