"""Uploads nobody sent are removed with their objects: never completed, after a day; completed but in no
message, after a week. Files a message carries stay."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from files.models import StoredFile
from files.tasks import purge_stale_uploads_task
from tests.files.factories import StoredFileFactory, share

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("s3_storage")]


def aged(stored: StoredFile, age: timedelta) -> StoredFile:
    StoredFile.objects.filter(id=stored.id).update(created_at=timezone.now() - age)
    return stored


def object_exists(s3_client, bucket, key) -> bool:
    return s3_client.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount", 0) == 1


def test_uploads_nobody_sent_and_their_objects_are_removed(
    s3_client, s3_storage, user, django_capture_on_commit_callbacks
):
    # given: uploads never completed, a day old and not quite; completed ones in no message, a week old and
    # not quite; and a month-old one a message carries
    stale = aged(StoredFileFactory(owner=user, status=StoredFile.Status.PENDING), timedelta(hours=25))
    fresh = aged(StoredFileFactory(owner=user, status=StoredFile.Status.PENDING), timedelta(hours=23))
    unsent = aged(StoredFileFactory(owner=user), timedelta(days=8))
    recent = aged(StoredFileFactory(owner=user), timedelta(days=6))
    sent = aged(StoredFileFactory(owner=user), timedelta(days=30))
    share(sent, members=[])
    for stored in (stale, fresh, unsent, recent, sent):
        s3_client.put_object(Bucket=s3_storage, Key=stored.storage_key, Body=b"bytes")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        removed = purge_stale_uploads_task()

    # then
    assert removed == 2
    assert set(StoredFile.objects.values_list("id", flat=True)) == {fresh.id, recent.id, sent.id}
    for gone in (stale, unsent):
        assert not object_exists(s3_client, s3_storage, gone.storage_key)
    for kept in (fresh, recent, sent):
        assert object_exists(s3_client, s3_storage, kept.storage_key)


def test_a_stale_upload_with_no_object_is_removed_too(user):
    aged(StoredFileFactory(owner=user, status=StoredFile.Status.PENDING), timedelta(days=2))
    assert purge_stale_uploads_task() == 1
    assert not StoredFile.objects.exists()


def test_purge_runs_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["files-purge-stale-uploads"]
    assert entry["task"] == purge_stale_uploads_task.name
    assert entry["schedule"] <= timedelta(hours=1)
