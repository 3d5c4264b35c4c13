"""A data export's ZIP as a download, streamed from storage a chunk at a time, whatever its size.

Two things would otherwise hold the whole ZIP in a web worker's memory before its first byte left, an export
of someone's every file included: django-storages' S3File reads the whole object into a SpooledTemporaryFile
on the first read (never rolled to disk: AWS_S3_MAX_MEMORY_SIZE is 0), and under ASGI (uvicorn, Daphne)
Django turns a response's synchronous iterator into a list before sending it. So the object's body is read as
S3 sends it, and under ASGI through an asynchronous iterator, each read in a worker thread."""

from collections.abc import AsyncIterator, Iterator
from typing import IO, cast

from asgiref.sync import sync_to_async
from django.core.files.storage import default_storage
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3File

from accounts.models import DataExport

CHUNK_BYTES = 64 * 1024


def data_export_response(request: HttpRequest, export: DataExport) -> StreamingHttpResponse:
    """The export's ZIP as an attachment (`parley-data-<date>.zip`), never cached."""
    opened = default_storage.open(export.file_key, "rb")  # on S3 a HEAD: its size, not its bytes
    size = opened.size
    body = cast(IO[bytes], opened.obj.get()["Body"]) if isinstance(opened, S3File) else opened
    if isinstance(request, ASGIRequest):
        response = StreamingHttpResponse(_chunks_async(body), content_type="application/zip")
    else:
        response = StreamingHttpResponse(_chunks(body), content_type="application/zip")
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = content_disposition_header(
        True, f"parley-data-{export.created_at:%Y-%m-%d}.zip"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _chunks(body: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := body.read(CHUNK_BYTES):
            yield chunk
    finally:
        body.close()


async def _chunks_async(body: IO[bytes]) -> AsyncIterator[bytes]:
    # Not thread-sensitive: a long download's reads need not queue behind the sync views, nor they behind it.
    read = sync_to_async(body.read, thread_sensitive=False)
    try:
        while chunk := await read(CHUNK_BYTES):
            yield chunk
    finally:
        await sync_to_async(body.close, thread_sensitive=False)()
