"""A stored file as an HTTP download, read a chunk at a time whatever its size, under ASGI and WSGI alike.

Django's FileResponse, like any StreamingHttpResponse over a synchronous iterator, is made a list under ASGI
(uvicorn, Daphne) before its first byte is sent: the whole file in a web worker's memory, as many times as it
is being downloaded. Here the ASGI handler's asynchronous iteration reads each chunk in a worker thread
instead, and WSGI's iterates the same reads directly."""

from collections.abc import AsyncIterator, Iterator
from typing import IO

from asgiref.sync import sync_to_async
from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

CHUNK_BYTES = 64 * 1024


class ChunkedDownload(StreamingHttpResponse):
    """`body` (an open file, or an S3 object's streaming body) sent as `filename`, then closed; `size` is
    its Content-Length when known."""

    def __init__(
        self, body: IO[bytes], *, size: int | None, content_type: str, filename: str, as_attachment: bool
    ) -> None:
        super().__init__(_chunks(body), content_type=content_type)
        self._body = body
        if size is not None:
            self["Content-Length"] = str(size)
        if disposition := content_disposition_header(as_attachment, filename):
            self["Content-Disposition"] = disposition

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # Not thread-sensitive: a long download's reads need not queue behind the sync views, nor they
        # behind it.
        read = sync_to_async(self._body.read, thread_sensitive=False)
        try:
            while chunk := await read(CHUNK_BYTES):
                yield chunk
        finally:
            await sync_to_async(self._body.close, thread_sensitive=False)()


def _chunks(body: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := body.read(CHUNK_BYTES):
            yield chunk
    finally:
        body.close()
