"""uvicorn's HTTP protocol (httptools), letting go of a connection it has handed to a WebSocket.

Its parser calls back into the protocol through bound methods, a reference cycle: once the connection is
upgraded, the protocol, its parser and the handshake's scope are garbage that only the garbage collector
frees, which a worker tuned to collect seldom (core.gc_tuning) does late. Dropping the parser at the upgrade,
as uvicorn's own `connection_lost` does when an HTTP connection closes, lets reference counting free them at
once. scripts/web-server selects this class (`--http realtime.uvicorn_http:HttpProtocol`).

A request its parser refuses (a NUL or another control character in a header, say) is answered in the
standard error body (realtime.unreadable_requests), not in uvicorn's text/plain "Invalid HTTP request
received."."""

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from realtime import unreadable_requests


class HttpProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        self.transport.write(unreadable_requests.response_bytes(self.server_state.default_headers))
        self.transport.close()

    def handle_websocket_upgrade(self) -> None:
        super().handle_websocket_upgrade()
        self.parser = None  # type: ignore[assignment]
