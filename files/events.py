"""Every payload the files app puts on the wire, built in one place."""

from typing import TypedDict

from django.urls import reverse

from files.models import StoredFile


def thumbnail_url(stored_file: StoredFile) -> str | None:
    if not stored_file.thumbnail_key:
        return None
    return reverse("files-thumbnail", kwargs={"file_id": stored_file.id})


class AttachmentPayload(TypedDict):
    id: str
    name: str
    size: int
    content_type: str
    width: int | None
    height: int | None
    thumbnail_url: str | None


def attachment_payload(stored_file: StoredFile) -> AttachmentPayload:
    """How a file appears in a message payload and in the files API."""
    return {
        "id": str(stored_file.id),
        "name": stored_file.name,
        "size": stored_file.size,
        "content_type": stored_file.content_type,
        "width": stored_file.width,
        "height": stored_file.height,
        "thumbnail_url": thumbnail_url(stored_file),
    }
