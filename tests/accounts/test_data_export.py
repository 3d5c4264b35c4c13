"""Download my data: a ZIP (profile, my messages with their conversations' names, my files) built by a
Celery task with progress, behind a private link that expires; one at a time, and one kept at a time."""

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from accounts.models import DataExport
from tests.accounts.factories import UserFactory
from tests.accounts.helpers import client_for, login
from tests.files.factories import StoredFileFactory, share
from tests.messaging.factories import MessageFactory

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/users/me/export/"


def zip_of(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_export_holds_the_profile_messages_and_files(eager_celery):
    # given: ada, a file she shared in a group, and a message of someone else's
    ada, bob = UserFactory(username="ada"), UserFactory(username="bob")
    stored = StoredFileFactory(owner=ada, name="plan.txt", size=5)
    default_storage.save(stored.storage_key, ContentFile(b"plans"))
    message = share(stored, members=[bob])
    message.conversation.title = "Launch"
    message.conversation.save()
    MessageFactory(conversation=message.conversation, sender=bob, body="not hers")
    session = login(ada)

    # when: she asks for her data (the task runs in process here) and downloads it
    started = client_for(session).post(URL)
    [status] = client_for(session).get(URL).json()
    download = APIClient().get(status["download_url"])

    # then
    assert started.status_code == 202
    assert (status["status"], status["progress"]) == ("ready", 100)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="parley-data-')
    archive = zip_of(download)
    profile = json.loads(archive.read("profile.json"))
    assert (profile["username"], profile["email"]) == ("ada", ada.email)
    messages = json.loads(archive.read("messages.json"))
    assert [(m["conversation"]["name"], m["body"]) for m in messages] == [("Launch", message.body)]
    assert messages[0]["attachments"] == [{"id": str(stored.id), "name": "plan.txt"}]
    assert archive.read(f"files/{stored.id}/plan.txt") == b"plans"


def test_a_second_export_while_one_is_built_is_refused(auth_client):
    # no worker consumes the queue here: the first export stays pending
    assert auth_client.post(URL).status_code == 202
    again = auth_client.post(URL)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "export_in_progress")
    assert [export["status"] for export in auth_client.get(URL).json()] == ["pending"]


def test_asking_again_while_an_export_is_kept_answers_that_one(eager_celery):
    # given: ada's export, built and kept for 7 days
    session = login(UserFactory())
    first = client_for(session).post(URL)

    # when: she asks again, and again
    again = [client_for(session).post(URL) for _ in range(2)]

    # then: the same export answers, ready, with a working link; no second ZIP is built
    assert first.status_code == 202
    assert [(r.status_code, r.json()["id"], r.json()["status"]) for r in again] == [
        (200, first.json()["id"], "ready")
    ] * 2
    assert APIClient().get(again[-1].json()["download_url"]).status_code == 200
    assert DataExport.objects.count() == 1


def test_once_the_kept_export_is_gone_a_new_one_replaces_it(eager_celery):
    session = login(UserFactory())
    client_for(session).post(URL)
    old = DataExport.objects.get()
    DataExport.objects.update(expires_at=datetime.now(tz=UTC) - timedelta(seconds=1))  # no purge ran yet

    response = client_for(session).post(URL)

    assert response.status_code == 202
    assert [e["status"] for e in client_for(session).get(URL).json()] == ["ready", "ready"]
    assert not default_storage.exists(old.file_key)  # at most one ZIP of a person's in storage
    assert DataExport.objects.get(pk=old.pk).file_key == ""


def test_the_download_link_is_private_and_expires(eager_celery):
    session = login(UserFactory())
    client_for(session).post(URL)
    link = client_for(session).get(URL).json()[0]["download_url"]

    forged = APIClient().get(link[:-3] + "abc")
    assert (forged.status_code, forged.json()["error"]["code"]) == (404, "not_found")

    DataExport.objects.update(expires_at=datetime.now(tz=UTC) - timedelta(seconds=1))
    expired = APIClient().get(link)
    assert expired.status_code == 404
    assert "no longer available" in expired.json()["error"]["detail"]


def test_expired_zips_are_removed_from_storage(eager_celery):
    from accounts.tasks import purge_expired_data_exports_task

    session = login(UserFactory())
    client_for(session).post(URL)
    export = DataExport.objects.get()
    assert default_storage.exists(export.file_key)
    DataExport.objects.update(expires_at=datetime.now(tz=UTC) - timedelta(seconds=1))

    assert purge_expired_data_exports_task.delay().get() == 1

    assert not default_storage.exists(export.file_key)
    assert client_for(session).get(URL).json()[0]["download_url"] is None


def test_nobody_has_an_export_before_asking(auth_client):
    response = auth_client.get(URL)
    assert (response.status_code, response.json()) == (200, [])
