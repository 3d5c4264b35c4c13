"""A data export's ZIP as a download, streamed from storage a chunk at a time, whatever its size.

django-storages' S3File would read the whole object into a SpooledTemporaryFile on the first read (never
rolled to disk: AWS_S3_MAX_MEMORY_SIZE is 0), so the object's body is read as S3 sends it; core.downloads
keeps ASGI from making a list of it."""

from typing import IO, cast

from django.core.files.storage import default_storage
from storages.backends.s3 import S3File

from accounts.models import DataExport
from core.downloads import ChunkedDownload


def data_export_response(export: DataExport) -> ChunkedDownload:
    """The export's ZIP as an attachment (`parley-data-<date>.zip`), never cached."""
    opened = default_storage.open(export.file_key, "rb")  # on S3 a HEAD: its size, not its bytes
    body = cast(IO[bytes], opened.obj.get()["Body"]) if isinstance(opened, S3File) else opened
    response = ChunkedDownload(
        body,
        size=opened.size,
        content_type="application/zip",
        filename=f"parley-data-{export.created_at:%Y-%m-%d}.zip",
        as_attachment=True,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
