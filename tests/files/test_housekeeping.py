"""Uploads never completed are removed after a day, with their objects; nothing else is."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from files.models import StoredFile
from files.tasks import purge_stale_uploads_task
from tests.files.factories import StoredFileFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("s3_storage")]


def aged(stored: StoredFile, age: timedelta) -> StoredFile:
    StoredFile.objects.filter(id=stored.id).update(created_at=timezone.now() - age)
    return stored


def object_exists(s3_client, bucket, key) -> bool:
    return s3_client.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount", 0) == 1


def test_stale_pending_uploads_and_their_objects_are_removed(s3_client, s3_storage, user):
    # given
    stale = aged(StoredFileFactory(owner=user, status=StoredFile.Status.PENDING), timedelta(hours=25))
    fresh = aged(StoredFileFactory(owner=user, status=StoredFile.Status.PENDING), timedelta(hours=23))
    old_ready = aged(StoredFileFactory(owner=user), timedelta(days=30))
    for stored in (stale, fresh, old_ready):
        s3_client.put_object(Bucket=s3_storage, Key=stored.storage_key, Body=b"bytes")

    # when
    removed = purge_stale_uploads_task()

    # then
    assert removed == 1
    assert set(StoredFile.objects.values_list("id", flat=True)) == {fresh.id, old_ready.id}
    assert not object_exists(s3_client, s3_storage, stale.storage_key)
    assert object_exists(s3_client, s3_storage, fresh.storage_key)
    assert object_exists(s3_client, s3_storage, old_ready.storage_key)


def test_a_stale_upload_with_no_object_is_removed_too(user):
    aged(StoredFileFactory(owner=user, status=StoredFile.Status.PENDING), timedelta(days=2))
    assert purge_stale_uploads_task() == 1
    assert not StoredFile.objects.exists()


def test_purge_runs_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["files-purge-stale-uploads"]
    assert entry["task"] == purge_stale_uploads_task.name
    assert entry["schedule"] <= timedelta(hours=1)
