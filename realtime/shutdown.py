"""Graceful shutdown of a web worker, under Daphne or uvicorn (docs/scaling.md): on SIGTERM, stop taking
sockets, close every open one with 1001 "going away" so its client reconnects to another worker at once, then
stop the server.

Daphne alone, on SIGTERM, stops Twisted's reactor, which cancels every application coroutine and drops the
TCP connections: clients see 1006 (abnormal closure) and consumers' disconnect() never runs. uvicorn alone
closes every socket with 1012, which the web client treats as a dropped connection (it backs off). Here the
consumers close first, through the normal close handshake, so disconnect() cleans up presence and groups.

Sockets register themselves (ChatConsumer.connect/disconnect); the process-wide registry holds them weakly.
Under Daphne the close frames are sent through Daphne's own connections: autobahn, its WebSocket library,
lets an application close only with 1000 or 3000-4999, so `websocket.close` with 1001 would be refused."""

import asyncio
import gc
import logging
import signal
import sys
import weakref
from collections.abc import Callable
from types import FrameType
from typing import Any, Protocol

from django.conf import settings

from realtime import close_codes

logger = logging.getLogger(__name__)


class Closable(Protocol):
    async def close(self, code: int | None = None, reason: str | None = None) -> None: ...


_sockets: "weakref.WeakSet[Any]" = weakref.WeakSet()
_draining = False


def is_draining() -> bool:
    return _draining


def register(socket: Closable) -> None:
    _sockets.add(socket)


def unregister(socket: Closable) -> None:
    _sockets.discard(socket)


def open_sockets() -> int:
    return len(_sockets)


async def drain(*, within: float | None = None) -> None:
    """Close every registered socket with 1001; wait, at most `within` seconds (PARLEY_DRAIN_SECONDS), until
    all have disconnected. Sockets that register meanwhile (a connect that was half-way) are closed too."""
    global _draining
    _draining = True
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (settings.PARLEY_DRAIN_SECONDS if within is None else within)
    logger.info("draining: closing %d sockets with %d", len(_sockets), close_codes.GOING_AWAY)
    while _sockets and loop.time() < deadline:
        close_every_socket(close_codes.GOING_AWAY)
        await asyncio.sleep(0.05)
    if _sockets:
        logger.warning("drain timed out with %d sockets still open", len(_sockets))


def running_under_daphne() -> bool:
    """True in a Daphne server process; false in tests, Celery and manage.py, which import the app too."""
    return "daphne.server" in sys.modules


def install_under_daphne() -> None:
    """When this process is a Daphne server, take over SIGTERM once Twisted's reactor runs (Twisted
    installs its own handlers at start-up, so ours must come after). Elsewhere this does nothing."""
    if not running_under_daphne():
        return
    from twisted.internet import reactor

    reactor.callWhenRunning(_install_under_daphne, reactor)


def install_under_uvicorn() -> None:
    """Take over SIGTERM from the running uvicorn Server: call at lifespan start-up, once uvicorn has
    installed its handlers (it imports the application before)."""
    server = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)
    if server is None or not hasattr(server, "should_exit"):
        logger.warning("no uvicorn server handles SIGTERM here: sockets will not be drained on shutdown")
        return
    _take_over_sigterm(stop=lambda: setattr(server, "should_exit", True))


def close_every_socket(code: int) -> None:
    """Close every open WebSocket of this process with `code` (1001 going away, 1012 service restart).
    Under Daphne the frames go through its own connections, since autobahn refuses those codes from the
    application; elsewhere (tests, other servers) each registered socket is asked through ASGI. Idempotent:
    a socket already closing is not asked again."""
    if _daphne_close_every_socket is not None:
        _daphne_close_every_socket(code)
        return
    for socket in [s for s in list(_sockets) if s not in _closing]:
        _closing.add(socket)
        asyncio.ensure_future(socket.close(code=code))


_daphne_close_every_socket: Callable[[int], None] | None = None
_closing: "weakref.WeakSet[Any]" = weakref.WeakSet()  # sockets already asked to close through ASGI


def daphne_servers() -> list[Any]:
    """This process's Daphne servers (one, in a web worker): Daphne's command line keeps its Server to itself,
    so they are found among the live objects (at start-up, once)."""
    from daphne.server import Server

    return [obj for obj in gc.get_objects() if isinstance(obj, Server)]


def _daphne_server() -> Any | None:
    """This process's Daphne server, or None if there is not exactly one."""
    servers = daphne_servers()
    if len(servers) != 1:
        logger.warning(
            "found %d Daphne servers: sockets are closed through ASGI, and a too-slow client is dropped "
            "after autobahn's 1 s close-handshake timeout",
            len(servers),
        )
        return None
    return servers[0]


def _daphne_closer(server: Any) -> Callable[[int], None]:
    """Close every open WebSocket of `server`."""
    from daphne.ws_protocol import WebSocketProtocol

    def close_all(code: int) -> None:
        for protocol in list(server.connections):
            if isinstance(protocol, WebSocketProtocol) and protocol.state == WebSocketProtocol.STATE_OPEN:
                protocol.sendCloseFrame(code=code)  # ignored once a socket is closing

    return close_all


def _install_under_daphne(reactor: Any) -> None:
    global _daphne_close_every_socket
    server = _daphne_server()
    if server is not None:
        _daphne_close_every_socket = _daphne_closer(server)
        # Daphne leaves autobahn's 1 s close-handshake timeout, which would drop a slow client (1006) before
        # it reads its 4408; sockets opened from now on get CLOSE_GRACE_SECONDS, as under uvicorn.
        server.ws_factory.setProtocolOptions(closeHandshakeTimeout=close_codes.CLOSE_GRACE_SECONDS)
    _take_over_sigterm(stop=reactor.stop)


def _take_over_sigterm(*, stop: Callable[[], None]) -> None:
    """On SIGTERM, drain then `stop` the server (which stops accepting and exits, 0). A second SIGTERM goes
    to the server's own handler: stop now."""
    loop = asyncio.get_event_loop()
    server_handler = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        if _draining:
            if callable(server_handler):
                server_handler(signum, frame)
            return
        loop.call_soon_threadsafe(_start_drain)

    def _start_drain() -> None:
        async def drain_then_stop() -> None:
            try:
                await drain()
            finally:
                stop()

        asyncio.ensure_future(drain_then_stop())

    signal.signal(signal.SIGTERM, on_sigterm)
