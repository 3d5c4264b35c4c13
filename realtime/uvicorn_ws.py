"""uvicorn's WebSocket protocol (websockets-sansio), able to write a frame encoded once for every socket.

Through ASGI, every message to every socket is its own `send` coroutine: a dict, an await, the text
encoded and framed again for each socket. A broadcast reaches many sockets with the same bytes, so the
application encodes the frame once (realtime.frames.OutFrame) and writes those bytes to each connection,
without a coroutine, while the connection can take them. scripts/web-server selects this class
(`--ws realtime.uvicorn_ws:FramesProtocol`); an application under any other server, or a connection that
negotiated compression, keeps to plain ASGI `send`.

It offers the application the `parley.frames` scope extension, `{"writer": …}`: an object with
`can_write`, `paused`, `resumed`, `write`, `buffered_bytes` and `abort` (realtime.transport.FrameWriter)."""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

EXTENSION = "parley.frames"


class FramesProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)  # builds the scope; the application starts on the next loop turn
        self.scope["extensions"][EXTENSION] = {"writer": FrameWriter(self)}


class FrameWriter:
    """Writes already-encoded frames on one connection."""

    def __init__(self, protocol: FramesProtocol) -> None:
        self._protocol = protocol

    def can_write(self) -> bool:
        """Open, and framed as written (no compression negotiated): frames may go straight out."""
        protocol = self._protocol
        return (
            protocol.handshake_complete
            and not protocol.close_sent
            and not protocol.transport.is_closing()
            and protocol.conn.state is State.OPEN
            and not protocol.conn.extensions
        )

    def paused(self) -> bool:
        """The connection's buffer is full (its client reads slowly): wait for `resumed`."""
        return not self._protocol.writable.is_set()

    async def resumed(self) -> None:
        await self._protocol.writable.wait()  # set again when the buffer drains, or the connection is lost

    def write(self, wire: bytes) -> None:
        self._protocol.transport.write(wire)

    def buffered_bytes(self) -> int:
        return int(self._protocol.transport.get_write_buffer_size())

    def abort(self) -> None:
        self._protocol.transport.abort()


def frame_writer_of(scope: dict[str, Any]) -> FrameWriter | None:
    writer = (scope.get("extensions") or {}).get(EXTENSION, {}).get("writer")
    return writer if isinstance(writer, FrameWriter) else None
