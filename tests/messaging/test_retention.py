"""Retention: messages older than the workspace's limit, or their conversation's own, are deleted by a
periodic task with the files only they carried, and vanish from the recent log too."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from core.redis import get_redis
from files.models import StoredFile
from messaging.models import Message, RetentionPolicy
from messaging.tasks import purge_expired_messages_task
from tests.files.factories import StoredFileFactory, share
from tests.messaging.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime.now(tz=UTC)


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def keep_for(days: int | None) -> None:
    policy = RetentionPolicy.get_solo()
    policy.message_retention_days = days
    policy.save()


def test_without_a_policy_nothing_is_deleted(eager_celery):
    MessageFactory(created_at=days_ago(3650))
    assert purge_expired_messages_task.delay().get() == 0
    assert Message.objects.count() == 1


def test_messages_past_the_limit_go_with_the_files_only_they_carried(eager_celery):
    # given: keep 30 days; an old message with a file, and an old and a new message sharing another file
    keep_for(30)
    old_file = StoredFileFactory()
    default_storage.save(old_file.storage_key, ContentFile(b"old"))
    old = share(old_file, members=[])
    Message.objects.filter(pk=old.pk).update(created_at=days_ago(31))
    shared_file = StoredFileFactory(owner=old.sender)
    older = MessageFactory(conversation=old.conversation, sender=old.sender, created_at=days_ago(40))
    newer = MessageFactory(conversation=old.conversation, sender=old.sender, created_at=days_ago(1))
    older.attachments.add(shared_file)
    newer.attachments.add(shared_file)
    get_redis().zadd(f"log:{old.conversation_id}", {f'{{"seq": {old.seq}}}': old.seq})

    # when: the periodic task runs
    assert purge_expired_messages_task.delay().get() == 2

    # then
    assert list(Message.objects.values_list("pk", flat=True)) == [newer.pk]
    assert not StoredFile.objects.filter(pk=old_file.pk).exists()
    assert not default_storage.exists(old_file.storage_key)
    assert StoredFile.objects.filter(pk=shared_file.pk).exists()  # a kept message still carries it
    assert get_redis().zcard(f"log:{old.conversation_id}") == 0  # no replay shows it


def test_a_conversation_keeps_its_messages_for_its_own_time(eager_celery):
    keep_for(30)
    short, long = ConversationFactory(retention_days=7), ConversationFactory(retention_days=365)
    ordinary = ConversationFactory()
    for conversation in (short, long, ordinary):
        MessageFactory(conversation=conversation, created_at=days_ago(10))
        MessageFactory(conversation=conversation, created_at=days_ago(100))

    purge_expired_messages_task.delay().get()

    left = sorted((m.conversation_id, (NOW - m.created_at).days) for m in Message.objects.all())
    assert left == sorted([(long.pk, 10), (long.pk, 100), (ordinary.pk, 10)])


def test_running_it_again_deletes_nothing_more(eager_celery):
    keep_for(1)
    MessageFactory(created_at=days_ago(2))
    assert purge_expired_messages_task.delay().get() == 1
    assert purge_expired_messages_task.delay().get() == 0


@pytest.mark.parametrize("long_days", [800_000, 2_147_483_647])  # past year 1; past what a timedelta holds
def test_a_retention_longer_than_the_calendar_keeps_everything_and_stops_no_other_purge(
    eager_celery, long_days
):
    # given: an admin keeps one conversation's messages "forever" with a huge number of days (the admin's form
    # takes up to PostgreSQL's integer), and the workspace keeps 30 days
    keep_for(30)
    forever = ConversationFactory(retention_days=long_days)
    ordinary = ConversationFactory()
    kept = MessageFactory(conversation=forever, created_at=days_ago(3650))
    MessageFactory(conversation=ordinary, created_at=days_ago(100))

    # when: the hourly task runs (it raised OverflowError on the cutoff, and purged nothing anywhere)
    assert purge_expired_messages_task.delay().get() == 1

    # then: nothing can be that old, so that conversation keeps everything; the others are purged as ever
    assert list(Message.objects.values_list("pk", flat=True)) == [kept.pk]

    # and the same for the workspace's own retention
    keep_for(long_days)
    MessageFactory(conversation=ordinary, created_at=days_ago(3650))
    assert purge_expired_messages_task.delay().get() == 0
