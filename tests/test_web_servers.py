"""What a web worker does the same under either server (Daphne, uvicorn as docker/ and scripts/stack.sh start
it), run for real in embedded mode (SQLite, in-process fan-out hub) in a fresh data folder on a free port:

- graceful shutdown (realtime/shutdown.py): on SIGTERM it refuses new sockets, closes every open one with
  1001 "going away" so clients reconnect elsewhere at once, reports not-ready, and exits within the grace
  period (the drain's own tests drive it through WebsocketCommunicator);
- frame sizes: a frame over 64 KiB is answered `too_large` and the socket stays open; one over 1 MiB is
  refused by the server itself before the application buffers it (closed with 1009 "message too big");
- a frame the server cannot read (not UTF-8, an unknown opcode) closes the socket with its code and a reason
  (1007, 1002), under Daphne too, whose autobahn dropped the connection (1006);
- a request its HTTP parser refuses (a NUL in `Authorization`, raw bytes in the URL, a header line over
  16 KiB) is a 400 `bad_request` in the standard error body (realtime/unreadable_requests.py), and a socket
  whose token holds such characters is closed with 4401."""

import contextlib
import http.client
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect
from websockets.typing import Origin
from websockets.uri import parse_uri

from chatproject.asgi import application
from core.errors import json_bad_request, json_server_error
from realtime import close_codes, shutdown, unreadable_requests
from tests.accounts.factories import UserFactory
from tests.conftest import wait_until
from tests.live_server import ROOT, free_port, manage, wait_until_up
from tests.live_server import embedded_env as embedded_env_for

BIN = Path(sys.executable).parent  # the virtualenv's programs

ORIGIN = (b"origin", b"http://127.0.0.1")
DRAIN_SECONDS = 5
EXIT_WITHIN_SECONDS = DRAIN_SECONDS + 5


@pytest.fixture
def embedded_env(tmp_path: Path) -> dict[str, str]:
    return embedded_env_for(tmp_path, PARLEY_DRAIN_SECONDS=str(DRAIN_SECONDS))


@pytest.fixture
def access_token(embedded_env: dict[str, str]) -> str:
    script = (
        "from accounts.models import User; from rest_framework_simplejwt.tokens import AccessToken; "
        "print(AccessToken.for_user(User.objects.create_user('ada', password='x')))"
    )
    return manage(embedded_env, "shell", "-c", script).strip().splitlines()[-1]


SERVER_COMMANDS = {
    "daphne": [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", "{port}", "chatproject.asgi:application"],
    # as every deployment starts it
    "uvicorn": [str(ROOT / "scripts" / "web-server"), "--host", "127.0.0.1", "--port", "{port}"],
}


@dataclass(frozen=True)
class LiveServer:
    name: str
    process: subprocess.Popen
    port: int


# Keepalive every second, dropping a client after one second without a pong (deployments: 20 s and 20 s under
# uvicorn, scripts/web-server; 20 s and 30 s under Daphne, its defaults).
FAST_KEEPALIVE = {
    "daphne": ["--ping-interval", "1", "--ping-timeout", "1"],
    "uvicorn": ["--ws-ping-interval", "1", "--ws-ping-timeout", "1"],
}


@contextmanager
def live_server(name: str, env: dict[str, str], log_path: Path, *options: str) -> Iterator[LiveServer]:
    port = free_port()
    command = [part.format(port=port) for part in SERVER_COMMANDS[name]]
    if name == "daphne":  # its options go before the application
        command[-1:-1] = options
    else:
        command += options
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            env={**env, "UVICORN": str(BIN / "uvicorn")},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
            yield LiveServer(name, process, port)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(params=sorted(SERVER_COMMANDS))
def server(request, embedded_env: dict[str, str], tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(request.param, embedded_env, tmp_path / "server.log") as running:
        yield running


@pytest.fixture(params=sorted(SERVER_COMMANDS))
def fast_keepalive_server(request, embedded_env: dict[str, str], tmp_path: Path) -> Iterator[LiveServer]:
    options = FAST_KEEPALIVE[request.param]
    with live_server(request.param, embedded_env, tmp_path / "server.log", *options) as running:
        yield running


def test_sigterm_closes_every_socket_with_1001_and_the_server_exits_in_time(server, access_token):
    # given two open sockets on a live worker
    process, port = server.process, server.port
    url = f"ws://127.0.0.1:{port}/ws/?v=2&token={access_token}"
    with ExitStack() as stack:
        sockets = [
            stack.enter_context(ws_connect(url, origin="http://127.0.0.1", open_timeout=5)) for _ in range(2)
        ]
        _sigterm_and_expect_going_away(process, sockets)


def test_oversized_frames_get_an_error_or_a_1009_close(server, access_token):
    url = f"ws://127.0.0.1:{server.port}/ws/?v=2&token={access_token}"
    with ws_connect(url, origin="http://127.0.0.1", open_timeout=5, max_size=None) as ws:
        ws.send(json.dumps({"type": "ping", "ref": "big", "padding": "x" * 100_000}))
        assert json.loads(ws.recv(timeout=5))["code"] == "too_large"
        ws.send('{"type": "ping"}')
        assert '"pong"' in str(ws.recv(timeout=5))

        with pytest.raises(ConnectionClosed) as closed:
            _send_until_closed(ws, "x" * (1024 * 1024 + 1))
    # (autobahn, under Daphne, dropped the connection with no close frame: realtime.unreadable_requests)
    assert (closed.value.rcvd and closed.value.rcvd.code) == 1009


def _sigterm_and_expect_going_away(process: subprocess.Popen, sockets: list) -> None:
    for ws in sockets:
        ws.send('{"type": "ping"}')
        assert '"pong"' in str(ws.recv(timeout=5))

    # when
    sent_at = time.monotonic()
    process.send_signal(signal.SIGTERM)

    # then: each client is told "going away", then the process exits well inside the grace period
    for ws in sockets:
        with pytest.raises(ConnectionClosed) as closed:
            _receive_until_closed(ws)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == close_codes.GOING_AWAY
    assert process.wait(timeout=EXIT_WITHIN_SECONDS) == 0
    assert time.monotonic() - sent_at < EXIT_WITHIN_SECONDS


def _send_until_closed(ws: Any, text: str) -> None:
    """Send a frame the server refuses: it may close while the frame is still being sent (it reads the length
    first), or after."""
    ws.send(text)
    _receive_until_closed(ws)


def _receive_until_closed(ws: Any) -> None:
    while True:
        ws.recv(timeout=EXIT_WITHIN_SECONDS)


def test_daphne_logs_a_request_as_method_and_path_never_its_query_string(embedded_env, tmp_path):
    # a query string may carry a secret (a socket's token, docs/protocol.md; data exports' links once did)
    log_path = tmp_path / "daphne.log"
    path = "/api/v1/users/me/export/download/"
    with live_server("daphne", {**embedded_env, "PYTHONUNBUFFERED": "1"}, log_path) as daphne:
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{daphne.port}{path}?token=s3cret-link-token", timeout=5)  # noqa: S310
        wait_until(lambda: f"GET {path}" in log_path.read_text(), "the request's access line", timeout=10)

    text = log_path.read_text()
    assert "s3cret-link-token" not in text
    [line] = [json.loads(line) for line in text.splitlines() if '"daphne.access"' in line and path in line]
    assert (line["method"], line["path"]) == ("GET", path)


def test_sigterm_with_no_sockets_exits_at_once(server):
    process = server.process
    sent_at = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=EXIT_WITHIN_SECONDS) == 0
    assert time.monotonic() - sent_at < 3


@pytest.fixture
def not_draining(monkeypatch):
    """drain() flips a process-wide flag: put it back after the test. The registry starts empty too (a socket
    whose application crashed in an earlier test never unregistered)."""
    monkeypatch.setattr(shutdown, "_draining", False)
    monkeypatch.setattr(shutdown, "_sockets", weakref.WeakSet())


@pytest.mark.django_db(transaction=True)
async def test_drain_closes_open_sockets_with_1001_and_refuses_new_ones(not_draining):
    # given
    user = await database_sync_to_async(UserFactory)()
    token = str(AccessToken.for_user(user))
    communicator = WebsocketCommunicator(application, f"/ws/?v=2&token={token}", headers=[ORIGIN])
    assert (await communicator.connect())[0]
    assert shutdown.open_sockets() == 1

    # when
    await shutdown.drain(within=2)

    # then
    assert await communicator.receive_output(timeout=2) == {"type": "websocket.close", "code": 1001}
    await communicator.disconnect(code=1001)
    assert shutdown.open_sockets() == 0
    late = WebsocketCommunicator(application, f"/ws/?v=2&token={token}", headers=[ORIGIN])
    assert (await late.connect())[0]
    assert await late.receive_output(timeout=2) == {"type": "websocket.close", "code": 1001}
    await late.disconnect()


@pytest.mark.django_db
def test_readyz_fails_while_draining(client, monkeypatch):
    monkeypatch.setattr(shutdown, "_draining", True)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failed": ["draining"]}


def test_the_keepalive_drops_a_client_that_stops_answering_pings_and_keeps_one_that_answers(
    fast_keepalive_server, access_token
):
    # given two sockets: one whose client answers pings (websockets does, as browsers do), one whose client
    # reads nothing and so never answers
    url = f"ws://127.0.0.1:{fast_keepalive_server.port}/ws/?v=2&token={access_token}"
    silent = socket.create_connection(("127.0.0.1", fast_keepalive_server.port), timeout=15)
    protocol = ClientProtocol(parse_uri(url), origin=Origin("http://127.0.0.1"))
    protocol.send_request(protocol.connect())
    silent.sendall(b"".join(protocol.data_to_send()))
    with ws_connect(url, origin="http://127.0.0.1", open_timeout=5) as answering:
        # when a few keepalive periods pass: the silent client is dropped (its reads end, or the connection is
        # reset) well before the read timeout
        with contextlib.suppress(ConnectionResetError):
            while silent.recv(65536):
                pass
        silent.close()
        # then the answering client's socket still works
        answering.send('{"type": "ping"}')
        assert '"pong"' in str(answering.recv(timeout=5))


# Requests a server's HTTP parser refuses before the application sees them, and what either server may answer
# (uvicorn's refuses any control character in a header; Twisted's, under Daphne, only NUL, CR and LF).
BAD_REQUEST = {(400, "bad_request")}
UNREADABLE_REQUESTS = [
    (b"GET /api/v1/users/me/", [b"Authorization: Bearer abc\x00def"], BAD_REQUEST),
    (b"GET /api/v1/users/me/", [b"Authorization: Bearer pk_1_\x00" + b"a" * 42], BAD_REQUEST),
    (b"GET /api/v1/users/me/", [b"Authorization: Bearer \x01\x7f"], BAD_REQUEST | {(401, "token_not_valid")}),
    (b"GET /api/v1/users/me/", [b"Authorization: \x00"], BAD_REQUEST),
    (b"GET /api/v1/users/me/?\xff=1", [], BAD_REQUEST),
    (b"GET /api/v1/conversations/\xd9\xa3/", [], BAD_REQUEST),  # an Arabic-Indic 3, as raw UTF-8
    (b"GET /api/v1/users/me/", [b"X-Note: a\x0bb"], BAD_REQUEST),
    (b"GET /api/v1/users/me/", [b"X-Note: " + b"a" * 20_000], BAD_REQUEST | {(401, "not_authenticated")}),
    (b"GET /ws/?v=2&token=\x00", [b"Upgrade: websocket", b"Connection: Upgrade"], BAD_REQUEST),
]


def test_the_servers_own_refusals_are_the_applications_bytes(rf):
    assert unreadable_requests.UNREADABLE == json_bad_request(rf.get("/")).content
    assert unreadable_requests._DAPHNE_ERRORS[500] == json_server_error(rf.get("/")).content


def _raw_request(port: int, line: bytes, headers: list[bytes]) -> tuple[int, str, Any]:
    """(status, content type, JSON body) of a request sent byte for byte as given."""
    head = [line + b" HTTP/1.1", b"Host: 127.0.0.1", b"Origin: http://127.0.0.1", *headers]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"\r\n".join(head) + b"\r\n\r\n")
        response = http.client.HTTPResponse(conn)
        response.begin()
        return response.status, str(response.getheader("Content-Type")), json.loads(response.read())


def test_a_request_the_server_cannot_read_is_a_400_in_the_standard_error_body(server):
    for line, headers, answers in UNREADABLE_REQUESTS:
        status, content_type, body = _raw_request(server.port, line, headers)
        assert content_type == "application/json", (line, headers)
        assert (status, body["error"]["code"]) in answers, (line, headers, status, body)
        assert set(body["error"]) == {"code", "detail", "fields"}


def test_a_socket_token_with_characters_no_token_has_is_closed_with_4401(server):
    for token in ["%00", "pk_%00", "pk_1_%00" + "a" * 42, "eyJ%00.a.b", "%01%7F", "%FF%FE", "%ED%A0%80"]:
        url = f"ws://127.0.0.1:{server.port}/ws/?v=2&token={token}"
        with ws_connect(url, origin="http://127.0.0.1", open_timeout=5) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=5)
        assert closed.value.rcvd is not None, token
        assert closed.value.rcvd.code == close_codes.UNAUTHENTICATED, token


def _close_code_after(port: int, token: str, frame: bytes) -> int | None:
    """The close code the server answers `frame` (sent masked, as a client must) with; None if it only drops
    the connection."""
    protocol = ClientProtocol(
        parse_uri(f"ws://127.0.0.1:{port}/ws/?v=2&token={token}"), origin=Origin(ORIGIN_URL)
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        protocol.send_request(protocol.connect())
        conn.sendall(b"".join(protocol.data_to_send()))
        protocol.receive_data(conn.recv(65536))
        assert protocol.handshake_exc is None
        mask = b"\x01\x02\x03\x04"
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(frame[1:]))
        conn.sendall(frame[:1] + bytes([0x80 | len(masked)]) + mask + masked)
        received = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := conn.recv(65536):
                received += chunk
    start = received.find(b"\x88")  # the close frame, after any the server sent first (none here)
    return int.from_bytes(received[start + 2 : start + 4], "big") if start >= 0 else None


ORIGIN_URL = "http://127.0.0.1"


def test_a_frame_the_server_cannot_read_closes_the_socket_with_a_code_not_a_dropped_connection(
    server, access_token
):
    # the first byte is FIN and the opcode, the rest the payload
    assert _close_code_after(server.port, access_token, b"\x81" + b'{"type": "ping", "x": "\xff"}') == 1007
    assert _close_code_after(server.port, access_token, b"\x83" + b"x") == 1002  # a reserved opcode
