"""One HTTP request through Parley's ASGI application, in process, as uvicorn or Daphne would make it: its
response is read message by message (the start, then each body chunk as it is sent)."""

import hashlib
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass

from asgiref.testing import ApplicationCommunicator
from django.core.asgi import get_asgi_application

TIMEOUT = 30


async def asgi_request(
    method: str, path: str, *, body: bytes = b"", headers: Sequence[tuple[bytes, bytes]] = ()
) -> ApplicationCommunicator:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"content-length", str(len(body)).encode()), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(get_asgi_application(), scope)
    await communicator.send_input({"type": "http.request", "body": body, "more_body": False})
    return communicator


@dataclass
class Download:
    """A response as far as its first body chunk, and how much memory this process held to get there."""

    communicator: ApplicationCommunicator
    status: int
    headers: dict[bytes, bytes]  # lower-cased names
    first: dict  # the first http.response.body message
    held: int  # peak bytes traced until the first chunk arrived

    async def digest(self) -> bytes:
        """The SHA-256 of the whole body, once the response ends."""
        digest, message = hashlib.sha256(self.first["body"]), self.first
        while message.get("more_body"):
            message = await self.communicator.receive_output(TIMEOUT)
            digest.update(message.get("body", b""))
        await self.communicator.wait(TIMEOUT)
        return digest.digest()


async def download_started(
    method: str, path: str, *, body: bytes = b"", headers: Sequence[tuple[bytes, bytes]] = ()
) -> Download:
    tracemalloc.start()
    try:
        communicator = await asgi_request(method, path, body=body, headers=headers)
        start = await communicator.receive_output(TIMEOUT)
        first = await communicator.receive_output(TIMEOUT)
        held = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    received = {name.lower(): value for name, value in start["headers"]}
    return Download(communicator, start["status"], received, first, held)
