"""The one place that knows whether files live on S3-compatible storage or on local disk.

S3: the browser uploads straight to the bucket with a presigned POST and downloads with a presigned GET;
Parley's workers never carry the bytes. Local disk (the embedded mode): Parley's own endpoints stream
them. Everything else in the files app goes through `backend()` and `default_storage`."""

import os
import tempfile
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from core.downloads import ChunkedDownload
from files import content

if TYPE_CHECKING:
    from files.models import StoredFile

CHUNK_BYTES = 64 * 1024


class UploadTooLarge(ValidationError):
    pass


class FileBackend(Protocol):
    def upload_target(self, *, file_id: str, key: str, max_bytes: int) -> dict[str, Any]: ...

    def size(self, key: str) -> int | None: ...

    def read_head(self, key: str, length: int) -> bytes: ...

    def download_response(
        self, key: str, *, filename: str, content_type: str, inline: bool
    ) -> HttpResponseBase: ...


def backend() -> FileBackend:
    if isinstance(default_storage, S3Storage):
        return S3Backend(cast(S3Storage, default_storage), public=_as_browsers_reach_it(default_storage))
    return LocalBackend(cast(FileSystemStorage, default_storage))


def _as_browsers_reach_it(storage: S3Storage) -> S3Storage:
    """The same bucket through S3_PUBLIC_ENDPOINT_URL, when browsers reach the storage at another address
    than Parley does (in docker/compose.yaml Parley uses http://minio:9000, browsers http://localhost:9000).
    A presigned URL is signed for the host it names, so it must be made with the public one."""
    public = settings.S3_PUBLIC_ENDPOINT_URL
    if not public or public == storage.endpoint_url:
        return storage
    options = cast(dict[str, Any], settings.STORAGES["default"])["OPTIONS"]
    return _storage_at(public, tuple(sorted(options.items())))


@cache
def _storage_at(endpoint_url: str, options: tuple[tuple[str, Any], ...]) -> S3Storage:
    """One storage per endpoint and options, kept: making one (its boto3 client) costs ~175 ms of CPU, which
    every upload and download would otherwise pay."""
    return S3Storage(**{**dict(options), "endpoint_url": endpoint_url})


def file_response(stored: "StoredFile") -> HttpResponseBase:
    """A ready file as Parley hands it to whoever may see it (the files API, the moderators' admin): inline
    only as an image it verifies (content.INLINE_IMAGE_TYPES), anything else a download, never sniffed."""
    return backend().download_response(
        stored.storage_key,
        filename=stored.name,
        content_type=stored.content_type,
        inline=content.is_inline_image(stored.content_type),
    )


def thumbnail_response(stored: "StoredFile") -> HttpResponseBase:
    """A file's thumbnail, as file_response hands the file; a 404 for a file without one."""
    if not stored.thumbnail_key:
        raise Http404
    return backend().download_response(
        stored.thumbnail_key,
        filename=f"{stored.name}.thumbnail.webp",
        content_type=content.THUMBNAIL_TYPE,
        inline=True,
    )


def open_file(key: str) -> IO[bytes]:
    return cast(IO[bytes], default_storage.open(key, "rb"))


def save_file(key: str, content: IO[bytes]) -> str:
    return default_storage.save(key, File(content))


def delete_file(key: str) -> None:
    if key:
        default_storage.delete(key)


# A file opened on its own (a new tab, the moderators' link) runs nothing and loads nothing but itself: no
# script (`sandbox` without allow-scripts, and no script-src), no fetch, frame or font. Inline style only, for
# the browser's own page around an image opened alone (Chromium styles its <body> and <img> inline: without it
# every picture opened in a tab logged three violations); a style runs nothing.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _protect(response: HttpResponseBase) -> HttpResponseBase:
    """Never sniffed into something runnable, never cached past the presigned URL's life."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private, max-age=60"
    return response


class S3Backend:
    def __init__(self, storage: S3Storage, *, public: S3Storage) -> None:
        """`storage` is what Parley reaches; `public` makes the presigned URLs browsers follow."""
        self.storage = storage
        self.public = public
        self.client = storage.connection.meta.client

    def _key(self, name: str) -> str:
        return cast(str, self.storage._normalize_name(clean_name(name)))

    def upload_target(self, *, file_id: str, key: str, max_bytes: int) -> dict[str, Any]:
        """A presigned POST bound to exactly this key and at most `max_bytes` bytes."""
        post = self.public.connection.meta.client.generate_presigned_post(
            Bucket=self.storage.bucket_name,
            Key=self._key(key),
            Conditions=[["content-length-range", 1, max_bytes]],
            ExpiresIn=settings.FILES_UPLOAD_URL_EXPIRE_SECONDS,
        )
        return {"url": post["url"], "method": "POST", "fields": post["fields"]}

    def size(self, key: str) -> int | None:
        try:
            return cast(int, self.storage.size(key))
        except FileNotFoundError:
            return None

    def read_head(self, key: str, length: int) -> bytes:
        obj = self.client.get_object(
            Bucket=self.storage.bucket_name, Key=self._key(key), Range=f"bytes=0-{length - 1}"
        )
        return cast(bytes, obj["Body"].read(length))

    def download_response(
        self, key: str, *, filename: str, content_type: str, inline: bool
    ) -> HttpResponseBase:
        params = {
            "ResponseContentType": content_type,
            "ResponseContentDisposition": content_disposition_header(not inline, filename),
        }
        url = self.public.url(key, parameters=params, expire=settings.FILES_DOWNLOAD_URL_EXPIRE_SECONDS)
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class LocalBackend:
    def __init__(self, storage: FileSystemStorage) -> None:
        self.storage = storage

    def upload_target(self, *, file_id: str, key: str, max_bytes: int) -> dict[str, Any]:
        url = reverse("files-content", kwargs={"file_id": file_id})
        return {"url": url, "method": "PUT", "headers": {"Content-Type": "application/octet-stream"}}

    def size(self, key: str) -> int | None:
        try:
            return self.storage.size(key)
        except FileNotFoundError:
            return None

    def read_head(self, key: str, length: int) -> bytes:
        with self.storage.open(key, "rb") as handle:
            return cast(bytes, handle.read(length))

    def receive(self, key: str, stream: IO[bytes], *, max_bytes: int) -> int:
        """Stream a request body to disk, chunk by chunk; refuse it once it passes `max_bytes`."""
        path = Path(self.storage.path(key))
        path.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        fd, partial = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK_BYTES):
                    written += len(chunk)
                    if written > max_bytes:
                        raise UploadTooLarge({"content": "The upload is larger than the size declared."})
                    out.write(chunk)
            os.replace(partial, path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        return written

    def download_response(
        self, key: str, *, filename: str, content_type: str, inline: bool
    ) -> HttpResponseBase:
        response = ChunkedDownload(
            self.storage.open(key, "rb"),
            size=self.storage.size(key),
            content_type=content_type,
            filename=filename,
            as_attachment=not inline,
        )
        return _protect(response)
