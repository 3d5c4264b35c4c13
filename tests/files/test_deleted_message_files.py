"""A deleted message's files go with it: once no message that is not deleted carries a file, nobody can
download it (its owner included) and its objects leave the bucket. A file another message still carries
stays, and a reported message's files stay for the moderators until its reports are resolved."""

import pytest
from django.http import Http404

from files.models import StoredFile
from messaging.models import Message, RetentionPolicy
from messaging.services import messages_purge_expired
from moderation import selectors as moderation_selectors
from moderation import services as moderation_services
from moderation.models import Report
from tests.accounts.factories import UserFactory
from tests.files import samples
from tests.files.factories import share
from tests.messaging.factories import MessageFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("s3_storage")]


def test_deleting_a_message_deletes_its_picture_for_everyone(
    s3_client, s3_storage, django_capture_on_commit_callbacks
):
    # given: ada's photo in a message bob can see
    ada, bob = UserFactory(), UserFactory()
    photo = samples.uploaded_picture(ada)
    message = share(photo, members=[bob])
    assert samples.answers(bob, photo) == samples.answers(ada, photo) == (302, 302)

    # when: ada deletes the message
    with django_capture_on_commit_callbacks(execute=True):
        assert samples.client_for(ada).delete(f"/api/v1/messages/{message.pk}/").status_code == 204

    # then: nobody gets it any more, not even from a kept link or id, and the bucket no longer holds it
    assert samples.answers(bob, photo) == samples.answers(ada, photo) == (404, 404)
    assert samples.in_bucket(s3_client, s3_storage, photo) == set()
    assert not StoredFile.objects.filter(pk=photo.pk).exists()


def test_a_file_another_message_carries_stays_until_that_one_is_deleted_too(
    s3_client, s3_storage, django_capture_on_commit_callbacks
):
    # given: ada sent the same photo to bob and to eve
    ada, bob, eve = UserFactory(), UserFactory(), UserFactory()
    photo = samples.uploaded_picture(ada)
    to_bob, to_eve = share(photo, members=[bob]), share(photo, members=[eve])

    # when: she deletes the one to bob
    with django_capture_on_commit_callbacks(execute=True):
        assert samples.client_for(ada).delete(f"/api/v1/messages/{to_bob.pk}/").status_code == 204

    # then: bob no longer gets it; eve and ada still do, and it is still stored
    assert samples.answers(bob, photo) == (404, 404)
    assert samples.answers(eve, photo) == samples.answers(ada, photo) == (302, 302)
    assert samples.in_bucket(s3_client, s3_storage, photo) == {photo.storage_key, photo.thumbnail_key}

    # when: she deletes the one to eve as well
    with django_capture_on_commit_callbacks(execute=True):
        assert samples.client_for(ada).delete(f"/api/v1/messages/{to_eve.pk}/").status_code == 204

    # then: it is gone
    assert samples.answers(eve, photo) == samples.answers(ada, photo) == (404, 404)
    assert samples.in_bucket(s3_client, s3_storage, photo) == set()


def test_a_reported_message_s_files_are_kept_for_the_moderators_until_the_report_is_resolved(
    s3_client, s3_storage, moderator, django_capture_on_commit_callbacks
):
    # given: bob reported ada's message with a photo
    ada, bob = UserFactory(), UserFactory()
    photo = samples.uploaded_picture(ada)
    message = share(photo, members=[bob])
    report = moderation_services.report_create(user=bob, message_id=message.pk, reason="nasty")

    # when: ada deletes it before a moderator looked
    with django_capture_on_commit_callbacks(execute=True):
        assert samples.client_for(ada).delete(f"/api/v1/messages/{message.pk}/").status_code == 204

    # then: members and ada no longer get it, the moderator still does, and it is still stored
    assert samples.answers(bob, photo) == samples.answers(ada, photo) == (404, 404)
    assert moderation_selectors.reported_file_get(moderator=moderator, file_id=photo.id) == photo
    assert samples.in_bucket(s3_client, s3_storage, photo) == {photo.storage_key, photo.thumbnail_key}

    # when: the moderator closes the report
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            moderation_services.message_remove(
                moderator=moderator, message=message, reason="gone", report=report
            )
            is False
        )

    # then: the file is gone, for the moderator too
    assert Report.objects.get(pk=report.pk).status == Report.Status.RESOLVED
    with pytest.raises(Http404):
        moderation_selectors.reported_file_get(moderator=moderator, file_id=photo.id)
    assert samples.in_bucket(s3_client, s3_storage, photo) == set()


def test_a_moderator_s_removal_deletes_the_files_with_the_message(
    s3_client, s3_storage, moderator, django_capture_on_commit_callbacks
):
    # given: a reported message with a photo
    ada, bob = UserFactory(), UserFactory()
    photo = samples.uploaded_picture(ada)
    message = share(photo, members=[bob])
    report = moderation_services.report_create(user=bob, message_id=message.pk, reason="nasty")

    # when: a moderator removes it (the report is resolved with it)
    with django_capture_on_commit_callbacks(execute=True):
        assert moderation_services.message_remove(
            moderator=moderator, message=message, reason="abuse", report=report
        )

    # then
    assert samples.answers(bob, photo) == samples.answers(ada, photo) == (404, 404)
    assert samples.in_bucket(s3_client, s3_storage, photo) == set()


def test_retention_deletes_a_file_only_deleted_messages_still_carry(
    s3_client, s3_storage, django_capture_on_commit_callbacks
):
    # given: a photo in an old message and in a deleted one that a report held
    ada, bob = UserFactory(), UserFactory()
    photo = samples.uploaded_picture(ada)
    old = share(photo, members=[bob])
    Message.objects.filter(pk=old.pk).update(created_at=old.created_at.replace(year=2000))
    deleted = MessageFactory(conversation=old.conversation, sender=ada)
    deleted.attachments.add(photo)
    Message.objects.filter(pk=deleted.pk).update(deleted_at=deleted.created_at)
    policy = RetentionPolicy.get_solo()
    policy.message_retention_days = 30
    policy.save()

    # when: the old message is purged
    with django_capture_on_commit_callbacks(execute=True):
        assert messages_purge_expired() == 1

    # then: only a deleted message carries the photo: it goes
    assert samples.in_bucket(s3_client, s3_storage, photo) == set()
    assert samples.answers(ada, photo) == (404, 404)
