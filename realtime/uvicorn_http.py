"""uvicorn's HTTP protocol (httptools), letting go of a connection it has handed to a WebSocket.

Its parser calls back into the protocol through bound methods, a reference cycle: once the connection is
upgraded, the protocol, its parser and the handshake's scope are garbage that only the garbage collector
frees, which a worker tuned to collect seldom (core.gc_tuning) does late. Dropping the parser at the upgrade,
as uvicorn's own `connection_lost` does when an HTTP connection closes, lets reference counting free them at
once. scripts/web-server selects this class (`--http realtime.uvicorn_http:HttpProtocol`)."""

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HttpProtocol(HttpToolsProtocol):
    def handle_websocket_upgrade(self) -> None:
        super().handle_websocket_upgrade()
        self.parser = None  # type: ignore[assignment]
