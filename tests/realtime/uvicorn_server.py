"""A uvicorn server in the test's own event loop, for tests of Parley's uvicorn protocols
(realtime.uvicorn_ws, realtime.uvicorn_http)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

from realtime.uvicorn_ws import FramesProtocol


@contextlib.asynccontextmanager
async def serving(app: Any, **options: Any) -> AsyncIterator[int]:
    """Serve `app` with Parley's WebSocket protocol (and `options`, uvicorn.Config's) on a free port, which
    it yields; shut down on leaving."""
    config = uvicorn.Config(app, port=0, ws=FramesProtocol, lifespan="off", log_level="warning", **options)
    config.load()
    server = uvicorn.Server(config)
    server.lifespan = config.lifespan_class(config)
    await server.startup()
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        await asyncio.wait_for(server.shutdown(), 10)
