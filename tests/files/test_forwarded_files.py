"""A forward carries its original's files: the same stored file, linked to the forward too, which the
forward's readers download through it. It stays while any message not deleted carries it (the original or a
forward), leaves the bucket with the last of them unless moderators hold it for a report of one, and goes
everywhere when its owner is erased."""

import uuid

import pytest
import requests

from accounts import services as account_services
from files.events import attachment_payload
from files.models import StoredFile
from messaging.delivery.eventlog import initialise_counter
from moderation import selectors as moderation_selectors
from moderation import services as moderation_services
from tests.accounts.factories import UserFactory
from tests.files import samples
from tests.files.factories import share
from tests.messaging.factories import make_conversation
from tests.messaging.test_messages_api import persist

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("s3_storage")]


def forward(user, message_id, conversation_id):
    """`user` forwards the message over REST; the persistence worker stores it. The sent message."""
    payload = {"conversation": conversation_id, "client_id": str(uuid.uuid4())}
    response = samples.client_for(user).post(
        f"/api/v1/messages/{message_id}/forward/", payload, format="json"
    )
    assert response.status_code == 202, response.json()
    persist(response.json())
    return response.json()


def downloaded(user, stored: StoredFile) -> bytes | int:
    """The bytes `user` downloads through the API's redirect to the bucket, or the API's refusal."""
    response = samples.client_for(user).get(f"/api/v1/files/{stored.id}/download/")
    if response.status_code != 302:
        return response.status_code
    fetched = requests.get(response["Location"], timeout=10)
    assert fetched.status_code == 200
    return fetched.content


def shown(user, conversation) -> list[dict]:
    """The attachments of the newest message of `conversation`, as `user`'s history shows it."""
    response = samples.client_for(user).get(f"/api/v1/conversations/{conversation.pk}/messages/")
    assert response.status_code == 200
    return response.json()["results"][0]["attachments"]


@pytest.fixture
def people(db):
    """ada sends bob a photo, its thumbnail made (their conversation holds ada and bob); bob and cy share
    another conversation."""
    ada, bob, cy = UserFactory(), UserFactory(), UserFactory()
    photo, data = samples.uploaded_picture(ada), samples.png()  # the picture's bytes
    original = share(photo, members=[bob])
    side = make_conversation(bob, cy, title="Side")
    initialise_counter(side.pk)
    return ada, bob, cy, photo, data, original, side


def test_a_forward_carries_the_photo_and_its_readers_download_it(people):
    ada, bob, cy, photo, data, original, side = people
    # when bob forwards ada's photo to cy, who is not in ada and bob's conversation
    sent = forward(bob, original.pk, side.pk)
    # then the forward lists the photo, live and once stored, and cy downloads the same bytes through it
    assert sent["attachments"] == [attachment_payload(photo)]
    assert shown(cy, side) == [attachment_payload(photo)]
    assert downloaded(cy, photo) == data
    assert StoredFile.objects.filter(owner=ada).count() == 1  # the same file, not a copy


def test_deleting_the_original_leaves_the_forward_s_file_and_deleting_both_removes_it(
    people, s3_client, s3_storage, django_capture_on_commit_callbacks
):
    ada, bob, cy, photo, data, original, side = people
    sent = forward(bob, original.pk, side.pk)
    # when ada deletes her message
    with django_capture_on_commit_callbacks(execute=True):
        assert samples.client_for(ada).delete(f"/api/v1/messages/{original.pk}/").status_code == 204
    # then cy still downloads it through the forward, and it is still stored
    assert downloaded(cy, photo) == data
    assert samples.in_bucket(s3_client, s3_storage, photo) == {photo.storage_key, photo.thumbnail_key}
    # when bob deletes his forward too
    with django_capture_on_commit_callbacks(execute=True):
        assert samples.client_for(bob).delete(f"/api/v1/messages/{sent['id']}/").status_code == 204
    # then it is nobody's, and the bucket no longer holds it
    assert downloaded(cy, photo) == downloaded(ada, photo) == 404
    assert samples.in_bucket(s3_client, s3_storage, photo) == set()


def test_deleting_the_forward_leaves_the_original_s_file(
    people, s3_client, s3_storage, django_capture_on_commit_callbacks
):
    ada, bob, cy, photo, data, original, side = people
    sent = forward(bob, original.pk, side.pk)
    # when bob deletes his forward
    with django_capture_on_commit_callbacks(execute=True):
        assert samples.client_for(bob).delete(f"/api/v1/messages/{sent['id']}/").status_code == 204
    # then cy no longer gets it; bob, through ada's message, still does
    assert downloaded(cy, photo) == 404
    assert downloaded(bob, photo) == data
    assert samples.in_bucket(s3_client, s3_storage, photo) == {photo.storage_key, photo.thumbnail_key}


def test_a_forward_of_a_forward_carries_the_photo_too(people):
    ada, bob, cy, photo, data, original, side = people
    dan = UserFactory()
    third = make_conversation(cy, dan, title="Third")
    initialise_counter(third.pk)
    first = forward(bob, original.pk, side.pk)
    # when cy forwards bob's forward on to dan
    onwards = forward(cy, first["id"], third.pk)
    # then dan gets the photo with it
    assert onwards["attachments"] == [attachment_payload(photo)]
    assert downloaded(dan, photo) == data


def test_someone_who_may_not_see_the_original_cannot_forward_its_photo(people):
    ada, bob, cy, photo, data, original, side = people
    # when cy, who is not in ada and bob's conversation, tries to forward ada's message
    payload = {"conversation": side.pk, "client_id": str(uuid.uuid4())}
    response = samples.client_for(cy).post(f"/api/v1/messages/{original.pk}/forward/", payload, format="json")
    # then it is not found, and the photo stays out of cy's reach
    assert response.status_code == 404
    assert side.messages.count() == 0
    assert downloaded(cy, photo) == 404


def test_erasing_the_photo_s_owner_takes_it_from_the_forwards_too(
    people, s3_client, s3_storage, django_capture_on_commit_callbacks
):
    ada, bob, cy, photo, data, original, side = people
    forward(bob, original.pk, side.pk)
    # when ada's account is erased
    with django_capture_on_commit_callbacks(execute=True):
        account_services.user_erase(user=ada)
    # then the forward shows no attachment, nobody downloads it, and the bucket no longer holds it
    assert shown(cy, side) == []
    assert downloaded(cy, photo) == downloaded(bob, photo) == 404
    assert samples.in_bucket(s3_client, s3_storage, photo) == set()


def test_a_report_of_the_original_keeps_its_photo_for_the_moderators_when_the_forward_goes(
    people, moderator, s3_client, s3_storage, django_capture_on_commit_callbacks
):
    ada, bob, cy, photo, data, original, side = people
    sent = forward(bob, original.pk, side.pk)
    report = moderation_services.report_create(user=bob, message_id=original.pk, reason="nasty")
    # when ada deletes her reported message, then bob his forward of it, before a moderator looked
    with django_capture_on_commit_callbacks(execute=True):
        assert samples.client_for(ada).delete(f"/api/v1/messages/{original.pk}/").status_code == 204
        assert samples.client_for(bob).delete(f"/api/v1/messages/{sent['id']}/").status_code == 204
    # then nobody else gets it, but the moderator still does, and it is still stored
    assert downloaded(cy, photo) == downloaded(bob, photo) == downloaded(ada, photo) == 404
    assert moderation_selectors.reported_file_get(moderator=moderator, file_id=photo.id) == photo
    assert samples.in_bucket(s3_client, s3_storage, photo) == {photo.storage_key, photo.thumbnail_key}
    # when the moderator closes the report, the photo goes
    with django_capture_on_commit_callbacks(execute=True):
        moderation_services.message_remove(
            moderator=moderator, message=original, reason="gone", report=report
        )
    assert samples.in_bucket(s3_client, s3_storage, photo) == set()


def test_erasing_the_forwarder_deletes_the_photo_their_forward_was_the_last_to_carry(
    people, s3_client, s3_storage, django_capture_on_commit_callbacks
):
    ada, bob, cy, photo, data, original, side = people
    forward(bob, original.pk, side.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert samples.client_for(ada).delete(f"/api/v1/messages/{original.pk}/").status_code == 204
    # when bob, whose forward alone still carried ada's photo, is erased (his messages deleted with him)
    with django_capture_on_commit_callbacks(execute=True):
        account_services.user_erase(user=bob)
    # then it went with that last message: nobody gets it, ada neither, and the bucket no longer holds it
    assert downloaded(cy, photo) == downloaded(ada, photo) == 404
    assert samples.in_bucket(s3_client, s3_storage, photo) == set()
