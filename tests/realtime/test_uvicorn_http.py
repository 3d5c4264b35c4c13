"""realtime.uvicorn_http: a connection upgraded to a WebSocket leaves nothing of its HTTP protocol for the
garbage collector, which a web worker runs seldom (core.gc_tuning): connect storms left megabytes of them
(docs/benchmarks.md, "Idle socket memory"). uvicorn's own protocol is the control: if it ever lets go by
itself, its case fails and realtime.uvicorn_http can go."""

import gc
from typing import Any

import pytest
import websockets
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from realtime.uvicorn_http import HttpProtocol
from tests.realtime.uvicorn_server import serving


def protocols_alive(kind: type) -> int:
    return sum(type(obj) is kind for obj in gc.get_objects())


@pytest.mark.parametrize(("http", "left_to_the_collector"), [(HttpToolsProtocol, 1), (HttpProtocol, 0)])
async def test_an_upgraded_connection_frees_its_http_protocol_at_once(http, left_to_the_collector):
    # given a uvicorn server, and an application that accepts a socket and echoes one frame
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": (await receive())["text"]})
        await receive()

    async with serving(app, http=http) as port:
        gc.collect()
        gc.disable()  # what is not freed by reference counting stays where gc.get_objects() sees it
        alive_before = protocols_alive(http)
        try:
            # when a client connects, and its socket is open and in use
            async with websockets.connect(f"ws://127.0.0.1:{port}/") as client:
                await client.send("hello")
                assert await client.recv() == "hello"
                # then the protocol that read its handshake is gone, unless uvicorn's own kept itself alive
                assert protocols_alive(http) - alive_before == left_to_the_collector
        finally:
            gc.enable()
