"""One HTTP request through Parley's ASGI application, in process, as uvicorn or Daphne would make it: its
response is read message by message (the start, then each body chunk as it is sent)."""

import hashlib
from collections.abc import Sequence

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


async def rest_digest(communicator: ApplicationCommunicator, first: dict) -> bytes:
    """The SHA-256 of the whole body, from its first chunk (already received) on, once the response ends."""
    digest, message = hashlib.sha256(first["body"]), first
    while message.get("more_body"):
        message = await communicator.receive_output(TIMEOUT)
        digest.update(message.get("body", b""))
    await communicator.wait(TIMEOUT)
    return digest.digest()
