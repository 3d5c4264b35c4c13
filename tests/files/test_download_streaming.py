"""The embedded mode serves files itself: a download is read from disk a chunk at a time under ASGI (how
Parley is served), its first bytes leaving before the rest is read. Before, Django made a list of a
FileResponse's chunks under ASGI: the whole file in the web worker's memory, once per download."""

import hashlib
import os
from typing import cast

import pytest
from asgiref.sync import sync_to_async
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from files.models import StoredFile
from tests.accounts.factories import UserFactory
from tests.accounts.helpers import login
from tests.asgi import download_started
from tests.files.factories import StoredFileFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("local_storage")]

SIZE = 24 * 1024 * 1024


def big_file() -> tuple[str, str, bytes]:
    """A ready 24 MiB video on disk: its id, its owner's access token and its bytes."""
    content = os.urandom(SIZE)
    owner = UserFactory()
    key = default_storage.save("uploads/big.mp4", ContentFile(content))
    stored = cast(
        StoredFile,
        StoredFileFactory(owner=owner, storage_key=key, size=SIZE, name="trip.mp4", content_type="video/mp4"),
    )
    return str(stored.id), login(owner)["access"], content


async def test_a_download_streams_from_disk_under_asgi():
    file_id, access, content = await sync_to_async(big_file)()

    # when: its owner downloads it, over ASGI, and the first chunk arrives
    authorization = (b"authorization", f"Bearer {access}".encode())
    download = await download_started("GET", f"/api/v1/files/{file_id}/download/", headers=[authorization])

    # then: the worker held a small part of the file to send it (all of it before), and every byte follows
    assert download.status == 200
    assert download.headers[b"content-length"] == str(SIZE).encode()
    assert download.headers[b"content-disposition"] == b'attachment; filename="trip.mp4"'
    assert download.headers[b"x-content-type-options"] == b"nosniff"
    assert 0 < len(download.first["body"]) < SIZE
    assert download.held < SIZE / 4, f"{download.held / 2**20:.1f} MiB held for the first chunk"
    assert await download.digest() == hashlib.sha256(content).digest()
