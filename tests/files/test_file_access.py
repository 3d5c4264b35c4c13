"""Who may download a file: its owner and members of a conversation where it is attached; anyone else
gets the same 404 as for a file that does not exist."""

import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from files import selectors
from files.models import StoredFile
from tests.accounts.factories import UserFactory
from tests.files.factories import StoredFileFactory, share

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("s3_storage")]


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def download(user, stored_file_id, what: str = "download"):
    return client_for(user).get(f"/api/v1/files/{stored_file_id}/{what}/")


def test_owner_may_download_an_unshared_file(ready_file):
    assert download(ready_file.owner, ready_file.id).status_code == 302


def test_members_of_a_conversation_where_it_is_attached_may_download(ready_file):
    # given
    member = UserFactory()
    share(ready_file, members=[member])

    # when
    response = download(member, ready_file.id)

    # then
    assert response.status_code == 302
    assert ready_file.storage_key in response["Location"]


def test_a_non_member_gets_404(ready_file):
    # given
    share(ready_file, members=[UserFactory()])

    # when
    response = download(UserFactory(), ready_file.id)

    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "Location" not in response


def test_a_guessed_id_gets_the_same_404(user):
    response = download(user, uuid.uuid4())
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_anonymous_user_is_refused_alike_for_real_and_guessed_ids(api_client, ready_file):
    real = api_client.get(f"/api/v1/files/{ready_file.id}/download/")
    guessed = api_client.get(f"/api/v1/files/{uuid.uuid4()}/download/")
    assert real.status_code == guessed.status_code == 401
    assert real.json() == guessed.json()
    assert "Location" not in real


def test_a_pending_file_is_not_downloadable_even_by_its_owner(user):
    pending = StoredFileFactory(owner=user, status=StoredFile.Status.PENDING)
    assert download(user, pending.id).status_code == 404


def test_a_file_only_deleted_messages_carry_is_nobody_s_to_download(ready_file):
    # given: a file still stored while a deleted message carries it (kept for a report, docs/moderation.md)
    member = UserFactory()
    message = share(ready_file, members=[member])

    # when
    message.deleted_at = timezone.now()
    message.save(update_fields=["deleted_at"])

    # then: its owner does not get it either
    assert download(member, ready_file.id).status_code == 404
    assert download(ready_file.owner, ready_file.id).status_code == 404


def test_deleting_a_message_keeps_files_still_attached_elsewhere(ready_file):
    # given: the file is attached in two conversations
    here, there = UserFactory(), UserFactory()
    first = share(ready_file, members=[here])
    share(ready_file, members=[there])

    # when
    first.delete()

    # then
    assert StoredFile.objects.filter(id=ready_file.id).exists()
    assert download(there, ready_file.id).status_code == 302
    assert download(here, ready_file.id).status_code == 404


def test_leaving_the_conversation_withdraws_access(ready_file):
    member = UserFactory()
    message = share(ready_file, members=[member])
    message.conversation.memberships.filter(user=member).delete()
    assert download(member, ready_file.id).status_code == 404


def test_thumbnail_follows_the_same_rules_and_is_404_without_one(ready_file):
    # given
    member, stranger = UserFactory(), UserFactory()
    share(ready_file, members=[member])

    # then: no thumbnail yet
    assert download(member, ready_file.id, "thumbnail").status_code == 404

    # when
    StoredFile.objects.filter(id=ready_file.id).update(thumbnail_key="thumbnails/t.webp")

    # then
    assert download(member, ready_file.id, "thumbnail").status_code == 302
    assert download(stranger, ready_file.id, "thumbnail").status_code == 404


def test_download_access_is_one_query(ready_file, django_assert_num_queries):
    member = UserFactory()
    share(ready_file, members=[member])
    with django_assert_num_queries(1):
        selectors.file_get_for_download(user=member, file_id=ready_file.id)
