"""files_for_attachment and attachment_payload: what messaging calls to attach files to a message."""

import uuid

import pytest
from django.core.exceptions import ValidationError

from files import events
from files.models import StoredFile
from files.selectors import ATTACHMENTS_REFUSED, files_for_attachment
from tests.accounts.factories import UserFactory
from tests.files.factories import StoredFileFactory

pytestmark = pytest.mark.django_db


def refused(owner, file_ids) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        files_for_attachment(owner=owner, file_ids=file_ids)
    assert caught.value.message_dict == {"attachments": [ATTACHMENTS_REFUSED]}
    return caught.value


def test_own_ready_files_come_back_in_the_order_given_in_one_query(user, django_assert_num_queries):
    # given
    files = StoredFileFactory.create_batch(3, owner=user)
    ids = [files[2].id, files[0].id, files[1].id, files[2].id]

    # when
    with django_assert_num_queries(1):
        found = files_for_attachment(owner=user, file_ids=ids)

    # then
    assert found == [files[2], files[0], files[1]]


def test_no_ids_need_no_query(user, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert files_for_attachment(owner=user, file_ids=[]) == []


def test_at_most_ten(user):
    files = StoredFileFactory.create_batch(11, owner=user)
    assert len(files_for_attachment(owner=user, file_ids=[f.id for f in files[:10]])) == 10
    refused(user, [f.id for f in files])


def test_a_file_claimed_by_one_user_cannot_be_attached_by_another(user):
    # given
    theirs = StoredFileFactory(owner=UserFactory())
    mine = StoredFileFactory(owner=user)

    # then: the same error as for an id that does not exist
    refused(user, [mine.id, theirs.id])
    refused(user, [mine.id, uuid.uuid4()])


def test_pending_files_cannot_be_attached(user):
    pending = StoredFileFactory(owner=user, status=StoredFile.Status.PENDING)
    refused(user, [pending.id])


def test_malformed_ids_are_refused_alike(user):
    refused(user, ["not-a-uuid"])


def test_attachment_payload(user):
    # given
    stored = StoredFileFactory(
        owner=user, name="cat.png", content_type="image/png", size=42, width=640, height=480
    )

    # then
    assert events.attachment_payload(stored) == {
        "id": str(stored.id),
        "name": "cat.png",
        "size": 42,
        "content_type": "image/png",
        "width": 640,
        "height": 480,
        "thumbnail_url": None,
    }
    stored.thumbnail_key = "thumbnails/x.webp"
    assert events.attachment_payload(stored)["thumbnail_url"] == f"/api/v1/files/{stored.id}/thumbnail/"
