"""What ASGI does not say about a socket's connection: how many bytes its server still holds unsent, and how
to drop it at once.

A client that stops reading fills its connection's buffers; only the server knows how full they are. The
ASGI `send` callable leads to the server's own connection object: under uvicorn it is a bound method of
the WebSocket protocol (an asyncio protocol, with its transport); under Daphne a partial of
`Server.handle_reply` whose first argument is the Twisted protocol. Under anything else (Channels' test
communicator) there is no transport to read: the socket's outbox then counts only what it queued itself."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, Protocol

logger = logging.getLogger(__name__)


class Transport(Protocol):
    def buffered_bytes(self) -> int:
        """Bytes written to the connection that the client has not taken yet (in user space)."""

    def abort(self) -> None:
        """Drop the connection now, discarding what is buffered (the client sees 1006)."""


class FrameWriter(Transport, Protocol):
    """A server that lets frames encoded once be written as they are (realtime.uvicorn_ws)."""

    def can_write(self) -> bool:
        """Open, and framed as written (no compression negotiated)."""

    def paused(self) -> bool:
        """The connection's buffer is full: wait for `resumed` before writing."""

    def idle(self) -> bool:
        """Writable, not paused, and holding nothing unsent: a frame written now is next on the wire."""

    async def resumed(self) -> None: ...

    def write(self, wire: bytes) -> None: ...


class _AsyncioTransport:
    """uvicorn: an asyncio transport."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport

    def buffered_bytes(self) -> int:
        return int(self._transport.get_write_buffer_size())

    def abort(self) -> None:
        self._transport.abort()


class _TwistedTransport:
    """Daphne: a Twisted TCP transport, whose writes wait in `dataBuffer` (from `offset` on) and
    `_tempDataBuffer`; Twisted never refuses a write, so this is the only bound on them."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport

    def buffered_bytes(self) -> int:
        transport = self._transport
        return len(transport.dataBuffer) - transport.offset + transport._tempDataLen

    def abort(self) -> None:
        self._transport.abortConnection()


def transport_of(send: Callable[..., Any]) -> Transport | None:
    """The connection behind an ASGI `send`, or None where the server is not one we know."""
    try:
        if isinstance(send, functools.partial) and send.args:  # Daphne
            transport = getattr(send.args[0], "transport", None)
            if transport is not None and hasattr(transport, "dataBuffer"):
                return _TwistedTransport(transport)
        owner = getattr(send, "__self__", None)  # uvicorn
        transport = getattr(owner, "transport", None)
        if transport is not None and hasattr(transport, "get_write_buffer_size"):
            return _AsyncioTransport(transport)
    except Exception:  # a server version whose internals moved: count our own queue only
        logger.warning("cannot read this server's socket buffers", exc_info=True)
    return None
