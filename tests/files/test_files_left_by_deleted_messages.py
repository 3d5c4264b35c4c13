"""Files that only deleted messages still carry leave the bucket on retention's next hourly run: those of
messages deleted before a message's files went with it (ab729ea). A file held for an open report stays, and so
does one a message that is not deleted carries; a report that goes with its reporter's erased account lets its
files go at once."""

import pytest

from accounts.services import user_erase
from files.models import StoredFile
from messaging.models import Message
from messaging.services import deleted_messages_files_release
from messaging.tasks import purge_expired_messages_task
from moderation import selectors as moderation_selectors
from moderation import services as moderation_services
from tests.accounts.factories import UserFactory
from tests.files import samples
from tests.files.factories import share
from tests.messaging.factories import MessageFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("s3_storage")]


def deleted_as_before(message: Message) -> None:
    """Deleted as a deletion did before its files went with it: emptied, its files left where they were."""
    Message.objects.filter(pk=message.pk).update(deleted_at=message.created_at, body="")


def test_the_hourly_run_deletes_files_only_messages_deleted_long_ago_still_carry(
    s3_client, s3_storage, moderator, django_capture_on_commit_callbacks
):
    # given: three photos of ada's whose messages were deleted before files went with them: one nobody
    # reported, one under bob's open report, one ada also sent in a message she kept
    ada, bob = UserFactory(), UserFactory()
    left, reported, kept = (samples.uploaded_picture(ada) for _ in range(3))
    left_message, reported_message, kept_message = (
        share(photo, members=[bob]) for photo in (left, reported, kept)
    )
    report = moderation_services.report_create(user=bob, message_id=reported_message.pk, reason="nasty")
    also_kept = MessageFactory(conversation=kept_message.conversation, sender=ada)
    also_kept.attachments.add(kept)
    for message in (left_message, reported_message, kept_message):
        deleted_as_before(message)
    assert samples.in_bucket(s3_client, s3_storage, left) == {left.storage_key, left.thumbnail_key}

    # when: the hourly retention task runs (no retention policy: it deletes no message)
    with django_capture_on_commit_callbacks(execute=True):
        assert purge_expired_messages_task() == 0

    # then: the photo nobody may download any more has left the bucket
    assert not StoredFile.objects.filter(pk=left.pk).exists()
    assert samples.in_bucket(s3_client, s3_storage, left) == set()
    # the reported one stays for the moderator only, the other for the readers of the message that carries it
    assert moderation_selectors.reported_file_get(moderator=moderator, file_id=reported.id) == reported
    assert samples.answers(ada, reported) == (404, 404)
    assert samples.in_bucket(s3_client, s3_storage, reported) == {
        reported.storage_key,
        reported.thumbnail_key,
    }
    assert samples.answers(bob, kept) == (302, 302)
    assert samples.in_bucket(s3_client, s3_storage, kept) == {kept.storage_key, kept.thumbnail_key}

    # when: it runs again, then the report is resolved
    with django_capture_on_commit_callbacks(execute=True):
        purge_expired_messages_task()
    assert samples.in_bucket(s3_client, s3_storage, reported) == {
        reported.storage_key,
        reported.thumbnail_key,
    }
    with django_capture_on_commit_callbacks(execute=True):
        moderation_services.report_dismiss(moderator=moderator, report=report, reason="old")

    # then: the reported photo goes too
    assert samples.in_bucket(s3_client, s3_storage, reported) == set()
    assert StoredFile.objects.filter(pk=kept.pk).exists()


def test_a_photo_held_for_a_report_goes_with_the_reporter_s_erased_account_unless_another_report_holds_it(
    s3_client, s3_storage, moderator, django_capture_on_commit_callbacks
):
    # given: bob and cy reported ada's photo and ada deleted it: their reports hold it for the moderators
    ada, bob, cy = UserFactory(), UserFactory(), UserFactory()
    photo = samples.uploaded_picture(ada)
    message = share(photo, members=[bob, cy])
    for reporter in (bob, cy):
        moderation_services.report_create(user=reporter, message_id=message.pk, reason="nasty")
    with django_capture_on_commit_callbacks(execute=True):
        assert samples.client_for(ada).delete(f"/api/v1/messages/{message.pk}/").status_code == 204

    # when: bob's account is erased (his report goes with it, unresolved)
    with django_capture_on_commit_callbacks(execute=True):
        user_erase(user=bob)

    # then: cy's report still holds it
    assert moderation_selectors.reported_file_get(moderator=moderator, file_id=photo.id) == photo
    assert samples.in_bucket(s3_client, s3_storage, photo) == {photo.storage_key, photo.thumbnail_key}

    # when: cy's account is erased too
    with django_capture_on_commit_callbacks(execute=True):
        user_erase(user=cy)

    # then: nothing holds it any more: it is gone at once, without waiting for the hourly run
    assert not StoredFile.objects.filter(pk=photo.pk).exists()
    assert samples.in_bucket(s3_client, s3_storage, photo) == set()


def test_a_batch_of_held_files_does_not_stop_the_sweep_at_the_files_after_it(
    s3_client, s3_storage, django_capture_on_commit_callbacks
):
    # given: files left by deleted messages, one batch apart: the first (by id) held for an open report
    ada, bob = UserFactory(), UserFactory()
    first, second = sorted((samples.uploaded_picture(ada) for _ in range(2)), key=lambda stored: stored.pk)
    held, left = share(first, members=[bob]), share(second, members=[bob])
    moderation_services.report_create(user=bob, message_id=held.pk, reason="nasty")
    deleted_as_before(held)
    deleted_as_before(left)

    # when: the sweep runs a file at a time
    with django_capture_on_commit_callbacks(execute=True):
        assert deleted_messages_files_release(batch=1) == 1

    # then: it went past the held one to the next
    assert samples.in_bucket(s3_client, s3_storage, first) == {first.storage_key, first.thumbnail_key}
    assert samples.in_bucket(s3_client, s3_storage, second) == set()
