"""A request nginx cannot parse is answered in the API's standard error body (scripts/stack.sh's nginx, as
docker/nginx.conf): nginx refuses it before any web worker sees it, and wrote its own HTML page."""

import http.client
import json
import socket
from typing import Any

import pytest

from realtime.unreadable_requests import UNREADABLE
from tests.stack.conftest import STACK_ENV

pytestmark = pytest.mark.stack

PORT = int(STACK_ENV["STACK_PORT"])


def _raw(request: bytes) -> tuple[int, str, Any]:
    with socket.create_connection(("127.0.0.1", PORT), timeout=10) as conn:
        conn.sendall(request)
        response = http.client.HTTPResponse(conn)
        response.begin()
        return response.status, str(response.getheader("Content-Type")), response.read()


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /api/v1/users/me/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer abc\x00def\r\n\r\n",
        b"GET /ws/?v=2&token=\x00 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        b"GET /api/v1/users/me/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note: " + b"a" * 20_000 + b"\r\n\r\n",
        b"GET /a b c HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"GARBAGE\r\n\r\n",
    ],
    ids=[
        "nul-in-authorization",
        "nul-in-socket-token",
        "header-too-large",
        "request-line",
        "no-request-line",
    ],
)
def test_what_nginx_cannot_parse_is_a_400_in_the_standard_error_body(stack, request_bytes):
    assert _raw(request_bytes) == (400, "application/json", UNREADABLE)


def test_the_workers_own_400s_pass_through_nginx_as_they_are(stack):
    body = b"{"
    status, content_type, answer = _raw(
        b"POST /api/v1/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    assert (status, content_type, json.loads(answer)["error"]["code"]) == (
        400,
        "application/json",
        "parse_error",
    )
