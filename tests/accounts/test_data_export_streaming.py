"""A data export's ZIP is streamed from storage a chunk at a time, on S3 and on disk, under ASGI (how Parley
is served: uvicorn, Daphne) and WSGI: its first bytes leave before the worker has read the rest, and the
worker never holds the whole ZIP. Before, django-storages read the whole S3 object into memory first, and
under ASGI Django made a list of every chunk before sending any (a person's export carries all their
files)."""

import hashlib
import os
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import cast
from urllib.parse import urlencode

import pytest
from asgiref.sync import sync_to_async
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from accounts import selectors
from accounts.models import DataExport, User
from tests.accounts.factories import UserFactory
from tests.asgi import download_started
from tests.files.conftest import moto_endpoint, s3_client, s3_storage  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

SIZE = 24 * 1024 * 1024
FORM = b"application/x-www-form-urlencoded"


@pytest.fixture(params=["s3", "disk"])
def storage(request):
    """default_storage on moto's S3 server, or the tests' local disk."""
    if request.param == "s3":
        request.getfixturevalue("s3_storage")
    return request.param


@pytest.fixture
def big_export(storage) -> Iterator[tuple[DataExport, bytes]]:
    content = os.urandom(SIZE)
    key = default_storage.save("exports/big.zip", ContentFile(content))
    export = DataExport.objects.create(
        user=cast(User, UserFactory()),
        status=DataExport.Status.READY,
        file_key=key,
        size=SIZE,
        expires_at=datetime.now(tz=UTC) + timedelta(days=7),
    )
    yield export, content
    default_storage.delete(key)


DOWNLOAD = "/api/v1/users/me/export/download/"


def form(export: DataExport) -> bytes:
    """The web app's form, posted: the download token as a form field."""
    return urlencode({"token": selectors.data_export_link_token(export)}).encode()


async def test_over_asgi_the_first_bytes_leave_before_the_zip_is_read(big_export):
    export, content = big_export

    # when: the download starts, over ASGI, and its first chunk arrives
    body = await sync_to_async(form)(export)
    download = await download_started("POST", DOWNLOAD, body=body, headers=[(b"content-type", FORM)])

    # then: the worker held a small part of the ZIP to send it (it held all of it, and more, before)
    assert download.status == 200
    assert download.headers[b"content-length"] == str(SIZE).encode()
    assert download.headers[b"content-disposition"].startswith(b'attachment; filename="parley-data-')
    assert download.headers[b"cache-control"] == b"private, no-store"
    assert 0 < len(download.first["body"]) < SIZE
    assert download.first["more_body"]
    assert download.held < SIZE / 4, f"{download.held / 2**20:.1f} MiB held for the first chunk"
    # and the rest follows, every byte
    assert await download.digest() == hashlib.sha256(content).digest()


def test_over_wsgi_it_streams_too(big_export):
    export, content = big_export

    tracemalloc.start()
    response = APIClient().post(DOWNLOAD, form(export), content_type="application/x-www-form-urlencoded")
    chunks = iter(response.streaming_content)
    first = next(chunks)
    held = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert response.status_code == 200
    assert held < SIZE / 4, f"{held / 2**20:.1f} MiB held for the first chunk"
    assert first + b"".join(chunks) == content
