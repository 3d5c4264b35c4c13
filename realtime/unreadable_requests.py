"""What a web server answers by itself, for a request it refuses before the application sees it: in the
standard error body (docs/api.md), under either server.

Both servers' HTTP parsers refuse some requests outright: a NUL in a header (an `Authorization: Bearer` with
one), raw non-ASCII bytes in the request line, a malformed header line; uvicorn's (httptools) also any other
control character in a header. uvicorn answered them with a text/plain "Invalid HTTP request received.",
Twisted (under Daphne) with an empty 400, or nothing at all for a line over 16 KiB, and Daphne's own checks
(a header value with a vertical tab, the application's time limit) with an HTML page. Each is now the JSON
every other refusal is: 400 `bad_request` "The request could not be read." (core.errors.json_bad_request's
very bytes, from core.error_bodies), and Daphne's 500 and 503 their codes.

uvicorn: scripts/web-server selects realtime.uvicorn_http.HttpProtocol, whose send_400_response writes
UNREADABLE. Daphne: install_under_daphne() (chatproject/asgi.py) replaces Twisted's HTTPChannel responders
and Daphne's WebRequest.basic_error in a Daphne process; tests/test_web_servers.py sends such requests to
both.

The same for a WebSocket frame the server cannot read (a text frame that is not UTF-8, an unknown opcode,
one over 1 MiB): uvicorn's websockets closes with the code and a reason (1007, 1002, 1009), autobahn, under
Daphne, dropped the TCP connection unless told otherwise (its failByDrop), so the client saw 1006 and no
reason; install_under_daphne() tells it to close the same way."""

from collections.abc import Sequence
from typing import Any

from core.error_bodies import SERVER_ERROR, UNREADABLE_REQUEST, error_bytes
from realtime.shutdown import daphne_servers, running_under_daphne

UNREADABLE = error_bytes("bad_request", UNREADABLE_REQUEST)
# Daphne's own answers besides 400: an exception the application let out, and its time limit.
_DAPHNE_ERRORS = {
    500: error_bytes("server_error", SERVER_ERROR),
    503: error_bytes("unavailable", "The server took too long to answer: try again."),
}


def response_bytes(default_headers: Sequence[tuple[bytes, bytes]] = ()) -> bytes:
    """A whole HTTP/1.1 400 answer carrying UNREADABLE, after which the connection closes."""
    lines = [b"HTTP/1.1 400 Bad Request"]
    lines += [name + b": " + value for name, value in default_headers]
    lines += [
        b"content-type: application/json",
        b"content-length: " + str(len(UNREADABLE)).encode(),
        b"connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + UNREADABLE


def install_under_daphne() -> None:
    """In a Daphne process, answer the requests Twisted and Daphne refuse themselves in the standard error
    body. Elsewhere this does nothing."""
    if not running_under_daphne():
        return
    from daphne.http_protocol import WebRequest
    from twisted.internet import reactor
    from twisted.web.http import HTTPChannel

    HTTPChannel._respondToBadRequestAndDisconnect = _refuse_unreadable  # type: ignore[method-assign]
    HTTPChannel.lineLengthExceeded = _refuse_too_long  # type: ignore[method-assign]
    WebRequest.basic_error = _daphne_error
    reactor.callWhenRunning(_close_sockets_with_a_reason)  # Daphne's servers exist once it runs


def _close_sockets_with_a_reason() -> None:
    """Autobahn fails a connection by dropping it (failByDrop, its default): send the close frame instead."""
    for server in daphne_servers():
        server.ws_factory.setProtocolOptions(failByDrop=False)


def _refuse_unreadable(channel: Any) -> None:
    """Twisted's HTTPChannel, on a request line or header it cannot parse (its own wrote an empty 400)."""
    channel.transport.write(response_bytes())
    channel.loseConnection()


def _refuse_too_long(channel: Any, line: bytes) -> None:
    """Twisted's HTTPChannel, on a request line or header line over its 16 KiB (it dropped the connection)."""
    _refuse_unreadable(channel)


def _daphne_error(request: Any, status: int, status_text: bytes, body: str) -> None:
    """Daphne's WebRequest.basic_error (an HTML page): the same status, in the standard error body."""
    request.handle_reply(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"Content-Type", b"application/json")],
        }
    )
    request.handle_reply({"type": "http.response.body", "body": _DAPHNE_ERRORS.get(status, UNREADABLE)})
