"""An upload removed from the message box is discarded at once: its record and whatever reached storage,
whether its bytes were still on their way, arrived, or were completed; a file a message carries stays."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.utils import timezone

from files import services
from files.models import StoredFile
from tests.files import samples
from tests.files.factories import StoredFileFactory, share

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("local_storage")
def test_an_upload_whose_bytes_arrived_is_discarded_with_them(
    auth_client, local_storage, django_capture_on_commit_callbacks
):
    # given an upload whose bytes are on disk, not completed
    started = samples.start_upload(auth_client, name="notes.pdf", data=samples.PDF)
    put = auth_client.generic("PUT", started["upload"]["url"], samples.PDF, content_type="application/pdf")
    assert put.status_code == 204
    key = StoredFile.objects.get(id=started["id"]).storage_key

    # when it is discarded
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(f"/api/v1/files/{started['id']}/")

    # then nothing of it is left (it waited a day for the purge), and it can no longer be completed
    assert response.status_code == 204
    assert not StoredFile.objects.exists()
    assert not (local_storage / key).exists()
    assert auth_client.post(f"/api/v1/files/{started['id']}/complete/").status_code == 404


def test_a_completed_file_no_message_carries_is_discarded(
    auth_client, s3_client, s3_storage, django_capture_on_commit_callbacks
):
    # given a file uploaded to S3 and completed, then removed from the message box before sending
    completed = samples.upload_to_s3(auth_client, name="notes.pdf", data=samples.PDF)
    key = StoredFile.objects.get(id=completed["id"]).storage_key

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(f"/api/v1/files/{completed['id']}/")

    # then (a ready file no message carries was never purged)
    assert response.status_code == 204
    assert not StoredFile.objects.exists()
    assert s3_client.list_objects_v2(Bucket=s3_storage, Prefix=key).get("KeyCount", 0) == 0


def test_bytes_arriving_after_the_upload_was_discarded_are_not_kept(user, local_storage):
    # given an upload whose bytes are on their way when it is discarded
    started = services.file_upload_start(owner=user, name="notes.pdf", size=len(samples.PDF))

    class DiscardedMidway(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            if self.tell() == 0:
                services.file_upload_discard(owner=user, file_id=started.file.id)
            return super().read(size)

    # when the last of them arrives
    with pytest.raises(Http404):
        services.file_upload_receive(
            owner=user, file_id=started.file.id, stream=DiscardedMidway(samples.PDF), length=None
        )

    # then nothing is left on disk either
    assert not [path for path in local_storage.rglob("*") if path.is_file()]


@pytest.mark.usefixtures("local_storage")
def test_a_file_a_message_carries_or_someone_elses_is_not_discarded(auth_client, api_client, user):
    # given Ada's file sent in a message, and someone else's upload
    sent = StoredFileFactory(owner=user)
    share(sent, members=[])
    default_storage.save(sent.storage_key, ContentFile(b"bytes"))
    theirs = StoredFileFactory(status=StoredFile.Status.PENDING)

    # when she (or someone not signed in) tries to discard them
    attached = auth_client.delete(f"/api/v1/files/{sent.id}/")
    not_hers = auth_client.delete(f"/api/v1/files/{theirs.id}/")
    anonymous = api_client.delete(f"/api/v1/files/{theirs.id}/")

    # then each is refused, and both files stay
    assert attached.status_code == 400
    assert attached.json()["error"]["detail"] == services.FILE_ATTACHED
    assert (not_hers.status_code, anonymous.status_code) == (404, 401)
    assert StoredFile.objects.count() == 2
    assert default_storage.exists(sent.storage_key)


def test_a_file_whose_message_was_deleted_can_be_discarded(auth_client, user):
    # given: Ada deleted the message she sent her file in, as the refusal above tells her to
    sent = StoredFileFactory(owner=user)
    message = share(sent, members=[])
    message.deleted_at = timezone.now()
    message.save(update_fields=["deleted_at"])
    # when / then: the file can now go
    assert auth_client.delete(f"/api/v1/files/{sent.id}/").status_code == 204
    assert not StoredFile.objects.filter(pk=sent.pk).exists()
