"""Retention and the moderators' hold: a message past its retention that someone reported, and the report is
still open, stays whole (its report, its files) until a moderator resolves the report; retention's next run
takes it then. Files of a deleted message held for a report stay when retention purges another message that
carried them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.http import Http404

from files.models import StoredFile
from messaging.models import Message, RetentionPolicy
from messaging.services import message_soft_delete, messages_purge_expired
from moderation import selectors as moderation_selectors
from moderation import services as moderation_services
from moderation.models import Report
from tests.accounts.factories import UserFactory
from tests.files import samples
from tests.files.factories import share
from tests.messaging.factories import MessageFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("s3_storage")]

LONG_AGO = datetime.now(tz=UTC) - timedelta(days=400)


def keep_for(days: int) -> None:
    policy = RetentionPolicy.get_solo()
    policy.message_retention_days = days
    policy.save()


def sent_long_ago(*messages: Message) -> None:
    Message.objects.filter(pk__in=[m.pk for m in messages]).update(created_at=LONG_AGO)


def test_a_reported_message_past_retention_stays_with_its_report_and_photo_until_the_report_is_resolved(
    s3_client, s3_storage, moderator, django_capture_on_commit_callbacks
):
    # given: bob reported ada's photo, sent long before the workspace's 30 days; nobody has looked yet
    keep_for(30)
    ada, bob = UserFactory(), UserFactory()
    photo = samples.uploaded_picture(ada)
    message = share(photo, members=[bob])
    report = moderation_services.report_create(user=bob, message_id=message.pk, reason="nasty")
    sent_long_ago(message)

    # when: retention runs
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_purge_expired() == 0

    # then: the moderators' queue still has the open report, and its message and photo as they were
    assert Report.objects.get(pk=report.pk).status == Report.Status.OPEN
    assert Message.objects.filter(pk=message.pk, deleted_at__isnull=True).exists()
    assert moderation_selectors.reported_file_get(moderator=moderator, file_id=photo.id) == photo
    assert samples.answers(bob, photo) == (302, 302)
    assert samples.in_bucket(s3_client, s3_storage, photo) == {photo.storage_key, photo.thumbnail_key}

    # when: a moderator dismisses the report, and retention runs again
    with django_capture_on_commit_callbacks(execute=True):
        moderation_services.report_dismiss(moderator=moderator, report=report, reason="fine")
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_purge_expired() == 1

    # then: retention takes it, with its photo
    assert not Message.objects.filter(pk=message.pk).exists()
    assert samples.answers(bob, photo) == (404, 404)
    assert samples.in_bucket(s3_client, s3_storage, photo) == set()


def test_a_reported_message_its_author_deleted_keeps_its_photo_when_retention_purges_another_carrying_it(
    s3_client, s3_storage, moderator, django_capture_on_commit_callbacks
):
    # given: ada sent the same photo twice, long ago; bob reported one, then ada deleted it (the report holds
    # its photo for the moderators)
    keep_for(30)
    ada, bob = UserFactory(), UserFactory()
    photo = samples.uploaded_picture(ada)
    reported = share(photo, members=[bob])
    other = MessageFactory(conversation=reported.conversation, sender=ada)
    other.attachments.add(photo)
    report = moderation_services.report_create(user=bob, message_id=reported.pk, reason="nasty")
    with django_capture_on_commit_callbacks(execute=True):
        message_soft_delete(message=reported)
    sent_long_ago(reported, other)

    # when: retention runs
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_purge_expired() == 1

    # then: the other message is gone; the report, its deleted message and the photo stay for the moderator
    assert not Message.objects.filter(pk=other.pk).exists()
    assert Report.objects.get(pk=report.pk).status == Report.Status.OPEN
    assert moderation_selectors.reported_file_get(moderator=moderator, file_id=photo.id) == photo
    assert samples.answers(bob, photo) == samples.answers(ada, photo) == (404, 404)
    assert samples.in_bucket(s3_client, s3_storage, photo) == {photo.storage_key, photo.thumbnail_key}

    # when: the moderator closes the report (the message was deleted already), and retention runs again
    with django_capture_on_commit_callbacks(execute=True):
        moderation_services.message_remove(
            moderator=moderator, message=reported, reason="gone", report=report
        )
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_purge_expired() == 1

    # then: nothing is left
    assert not Message.objects.filter(pk=reported.pk).exists()
    with pytest.raises(Http404):
        moderation_selectors.reported_file_get(moderator=moderator, file_id=photo.id)
    assert not StoredFile.objects.filter(pk=photo.pk).exists()
    assert samples.in_bucket(s3_client, s3_storage, photo) == set()


def test_a_purge_passes_over_a_whole_batch_of_held_messages_to_the_ones_after_it(
    django_capture_on_commit_callbacks, monkeypatch
):
    # given: batches of 2, two reported messages first, then an unreported one, all past retention
    monkeypatch.setattr("messaging.services.retention.BATCH", 2)
    keep_for(30)
    ada, bob = UserFactory(), UserFactory()
    first = MessageFactory(sender=ada)
    second = MessageFactory(sender=ada, conversation=first.conversation)
    third = MessageFactory(sender=ada, conversation=first.conversation)
    for message in (first, second):
        Report.objects.create(message=message, reporter=bob, reason="nasty", message_body=message.body)
    for days, message in enumerate((first, second, third)):
        Message.objects.filter(pk=message.pk).update(created_at=LONG_AGO + timedelta(days=days))

    # when: retention runs
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_purge_expired() == 1

    # then: the reported ones stay, the one after them goes
    assert set(Message.objects.values_list("pk", flat=True)) == {first.pk, second.pk}
