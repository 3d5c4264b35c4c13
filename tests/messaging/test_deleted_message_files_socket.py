"""A message deleted over the socket takes its files with it, as over REST (tests/files/
test_deleted_message_files.py): the download is a 404 for everyone and the objects leave the bucket."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from files.models import StoredFile
from tests.conftest import wait_until
from tests.files.conftest import moto_endpoint, s3_client, s3_storage  # noqa: F401  (the S3 server)
from tests.files.samples import answers, in_bucket, uploaded_picture
from tests.messaging.factories import store_message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("s3_storage")]


@database_sync_to_async
def photo_message(team, ada) -> tuple[StoredFile, str]:
    photo = uploaded_picture(ada)
    message = store_message(team, ada, 1, "look")
    message.attachments.add(photo)
    return photo, str(message.pk)


async def test_deleting_over_the_socket_takes_the_photo(connect, ada, bob, team, s3_client, s3_storage):  # noqa: F811
    # given: ada's photo in the team, which bob sees
    photo, message_id = await photo_message(team, ada)
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    assert await database_sync_to_async(answers)(bob, photo) == (302, 302)

    # when: ada deletes the message, and bob sees it go
    await ada_tab.send({"type": "message.delete", "message": message_id})
    assert (await bob_tab.receive_type("message.deleted"))["id"] == message_id

    # then: the objects leave the bucket once the deletion is committed, and nobody gets the photo
    await asyncio.to_thread(
        wait_until, lambda: not in_bucket(s3_client, s3_storage, photo), "the photo to leave the bucket"
    )
    assert await database_sync_to_async(answers)(bob, photo) == (404, 404)
    assert await database_sync_to_async(answers)(ada, photo) == (404, 404)
