"""JSON the server cannot or will not parse — nested deeper than the parser recurses, at any size within the
limits, or holding what no encoder writes (NaN, Infinity, a lone surrogate) — is a clear refusal: an
`invalid_json` error frame on a socket that stays usable, a 400 on REST (login included). And whatever way a
socket's consumer ends, even by an exception nothing caught, its presence, heartbeat and subscriptions go
with it: its user goes offline for the others."""

import asyncio
import io
import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from chatproject.asgi import application
from core import metrics
from messaging import consumers
from messaging.services.webhooks import webhook_create
from realtime import fanout
from realtime.hub import get_hub
from realtime.presence import online_user_ids
from tests.messaging.conftest import ORIGIN
from tests.messaging.factories import make_conversation
from tests.security.test_attacks import bearer

pytestmark = pytest.mark.django_db(transaction=True)

# Under the 64 KiB frame limit, far past the parser's recursion limit: every shape of deep nesting.
DEEP = [
    "[" * 5_000 + "]" * 5_000,
    "[" * 30_000,
    '{"a":' * 5_000 + "1" + "}" * 5_000,
    '{"type": "message.send", "body": ' + "[" * 20_000 + "]" * 20_000 + "}",
    '{"type": "ping", "x": ' + '[{"y":' * 4_000 + "0" + "}]" * 4_000 + "}",
]


# What no JSON encoder writes: refused as a whole, so nothing of it reaches a message or a row.
UNWRITABLE = [
    '{"type": "message.send", "conversation": 1, "body": "lone \\ud800 surrogate", "client_id": "x"}',
    '{"type": "ping", "x": NaN}',
    '{"type": "ping", "x": 1e400}',
]


@pytest.mark.parametrize(
    "text",
    DEEP + UNWRITABLE,
    ids=["array", "unclosed", "object", "in-a-field", "mixed", "lone-surrogate", "nan", "infinite"],
)
async def test_frames_the_server_will_not_parse_get_invalid_json_and_the_socket_stays_usable(
    connect, ada, text
):
    tab = await connect(ada)
    await tab.send(text)
    error = await tab.receive_type("error")
    assert (error["code"], error["ref"]) == ("invalid_json", None)
    await tab.send({"type": "ping"})
    assert await tab.receive_type("pong") == {"type": "pong"}


@pytest.mark.parametrize("text", DEEP[:3], ids=["array", "unclosed", "object"])
@pytest.mark.parametrize(
    ("path", "authenticated"),
    [
        ("/api/v1/auth/token/", False),
        ("/api/v1/auth/register/", False),
        ("/api/v1/auth/token/refresh/", False),
        ("/api/v1/conversations/", True),
    ],
)
def test_deeply_nested_rest_bodies_are_a_400(ada, text, path, authenticated):
    client = bearer(ada) if authenticated else APIClient()
    assert_parse_error(client.post(path, text, content_type="application/json"))


@pytest.mark.parametrize("text", DEEP[:3], ids=["array", "unclosed", "object"])
def test_a_deeply_nested_post_to_a_webhook_is_a_400(ada, bob, text):
    # with its secret: a wrong one is a 404 before the body is read (tests/messaging/test_webhooks.py)
    _, secret = webhook_create(user=ada, conversation_id=make_conversation(ada, bob).pk, name="CI")
    assert_parse_error(APIClient().post(f"/api/v1/hooks/{secret}/", text, content_type="application/json"))


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"1" * 5_000, "a number in it has more than 4300 digits."),
        (b'{"title": ', "a value is missing (line 1, column 11)."),
        (b'{"kind": "group",\n "title": "Ops', "a string is not closed (line 2, column 11)."),
        (b'{"kind": "group"} {}', "there is more after its value (line 1, column 19)."),
        (b'{"title": NaN}', "NaN and Infinity are not JSON numbers."),
        (b'{"title": -Infinity}', "NaN and Infinity are not JSON numbers."),
        (b'{"title": 1e400}', "a number in it is too large (JSON numbers are finite)."),
        (b'{"members": [-1.5e999]}', "a number in it is too large (JSON numbers are finite)."),
        (b'{"title": "caf\xe9"}', "it is not UTF-8 text."),
        (b"[" * 30_000, "it is nested too deeply."),
    ],
    ids=[
        "long-number",
        "cut-short",
        "unclosed-string",
        "extra",
        "nan",
        "minus-infinity",
        "infinite",
        "minus-infinite-in-a-list",
        "latin-1",
        "deep",
    ],
)
def test_a_body_that_does_not_parse_is_told_so_in_plain_words(ada, body, detail):
    # Python's own words reached the client: "Exceeds the limit (4300 digits) for integer string conversion:
    # value has 5000 digits; use sys.set_int_max_str_digits() to increase the limit"
    response = bearer(ada).post("/api/v1/conversations/", body, content_type="application/json")
    assert_parse_error(response)
    assert response.json()["error"]["detail"] == f"The body is not valid JSON: {detail}"


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1E+999"])
def test_a_number_past_the_largest_float_is_refused_as_the_socket_refuses_it(ada, number):
    # It was read as infinity, which no JSON encoder writes, and reached the view (a text field's refusal
    # named the field as if the body were JSON). The socket answers the same frame invalid_json.
    body = f'{{"kind": "group", "title": "Ops", "members": [], "n": {number}}}'
    response = bearer(ada).post("/api/v1/conversations/", body, content_type="application/json")
    assert_parse_error(response)
    assert "too large" in response.json()["error"]["detail"]
    assert response.json()["error"]["fields"] == {}


def test_large_finite_numbers_still_parse():
    from core.parsers import JSONParser

    assert JSONParser().parse(io.BytesIO(b'{"x": 1e308, "y": -2.5e-400}')) == {"x": 1e308, "y": -0.0}


def assert_parse_error(response) -> None:
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "parse_error"


def _heartbeats() -> int:
    return sum("_keep_presence" in repr(task.get_coro()) for task in asyncio.all_tasks())


async def test_a_consumer_killed_by_an_unexpected_exception_cleans_up_after_itself(
    connect, ada, bob, team, monkeypatch
):
    # given: ada and bob online in their conversation (ada's socket outside the fixture, which would close it)
    bob_tab = await connect(bob)
    sockets_before, heartbeats_before = metrics.OPEN_SOCKETS._value.get(), _heartbeats()
    token = AccessToken.for_user(ada)
    ada_socket = WebsocketCommunicator(application, f"/ws/?v=2&token={token}", headers=[ORIGIN])
    assert (await ada_socket.connect(timeout=5))[0]
    assert (await bob_tab.receive_type("presence", skip=()))["status"] == "online"

    # when: a frame makes ada's consumer raise something nothing catches
    async def explode(consumer, frame):
        raise RuntimeError("a bug nobody foresaw")

    monkeypatch.setitem(consumers.HANDLERS, "ping", explode)
    await ada_socket.send_json_to({"type": "ping"})
    with pytest.raises(RuntimeError, match="nobody foresaw"):
        await ada_socket.receive_output(timeout=5)

    # then: bob sees her go offline, and nothing of her socket is left on this worker
    assert await bob_tab.receive_type("presence", skip=()) == {
        "type": "presence",
        "user": ada.pk,
        "status": "offline",
    }
    assert await sync_to_async(online_user_ids)([ada.pk, bob.pk]) == {bob.pk}
    assert metrics.OPEN_SOCKETS._value.get() == sockets_before
    assert _heartbeats() == heartbeats_before
    followers = get_hub()._followers
    assert fanout.user_channel(ada.pk) not in followers
    assert followers[fanout.conversation_channel(team.pk)] == {bob_tab_consumer(followers, bob)}


def bob_tab_consumer(followers, bob):
    """The one socket left following anything: bob's."""
    (consumer,) = followers[fanout.user_channel(bob.pk)]
    return consumer


def test_a_deeply_nested_frame_is_refused_by_the_frame_parser_itself():
    from core.errors import Refused
    from realtime import frames

    for text in DEEP:
        with pytest.raises(Refused) as refused:
            frames.parse(text, None)
        assert refused.value.code == "invalid_json"
    assert frames.parse(json.dumps({"type": "ping", "x": [[[[1]]]]}), None)["type"] == "ping"
