"""Download my data: a ZIP (profile, my messages with their conversations' names, my files) built by a
Celery task with progress, downloaded with a private token that expires, posted, never in a URL; one at a
time, and one kept at a time."""

import io
import json
import re
import time
import zipfile
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from rest_framework.test import APIClient

from accounts import selectors
from accounts.models import DataExport
from tests.accounts.factories import UserFactory
from tests.accounts.helpers import client_for, login
from tests.files.factories import StoredFileFactory, share
from tests.messaging.factories import MessageFactory

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/users/me/export/"
DOWNLOAD = "/api/v1/users/me/export/download/"


def download(export: dict, *, token: str | None = None):
    """As the web app's form posts it: the token as a form field, to the export's download_url."""
    form = urlencode({"token": export["download_token"] if token is None else token})
    return APIClient().post(export["download_url"], form, content_type="application/x-www-form-urlencoded")


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
    zipped = download(status)

    # then
    assert started.status_code == 202
    assert (status["status"], status["progress"]) == ("ready", 100)
    assert zipped.status_code == 200
    assert zipped["Content-Disposition"].startswith('attachment; filename="parley-data-')
    assert zipped["Cache-Control"] == "private, no-store"
    archive = zip_of(zipped)
    profile = json.loads(archive.read("profile.json"))
    assert (profile["username"], profile["email"]) == ("ada", ada.email)
    messages = json.loads(archive.read("messages.json"))
    assert [(m["conversation"]["name"], m["body"]) for m in messages] == [("Launch", message.body)]
    assert messages[0]["attachments"] == [{"id": str(stored.id), "name": "plan.txt"}]
    assert archive.read(f"files/{stored.id}/plan.txt") == b"plans"


def test_the_export_holds_the_profile_picture(eager_celery, settings, tmp_path):
    from PIL import Image

    from accounts.services import user_avatar_set

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    ada = UserFactory(username="ada")
    png = io.BytesIO()
    Image.new("RGB", (40, 40), (0, 90, 200)).save(png, format="PNG")
    user_avatar_set(user=ada, upload=io.BytesIO(png.getvalue()))
    session = login(ada)

    client_for(session).post(URL)
    [status] = client_for(session).get(URL).json()
    archive = zip_of(download(status))

    assert json.loads(archive.read("profile.json"))["profile_picture"] == "profile-picture.webp"
    with default_storage.open(ada.avatar.name, "rb") as stored:
        assert archive.read("profile-picture.webp") == stored.read()


def test_a_file_moderators_hold_after_she_deleted_its_message_is_still_in_her_export(eager_celery):
    # given: bob reported ada's message with her file, then she deleted it: the file stays, for the moderators
    # only, until the report is resolved (docs/moderation.md)
    ada, bob = UserFactory(username="ada"), UserFactory(username="bob")
    stored = StoredFileFactory(owner=ada, name="plan.txt", size=5)
    default_storage.save(stored.storage_key, ContentFile(b"plans"))
    message = share(stored, members=[bob])
    report = client_for(login(bob)).post(
        f"/api/v1/messages/{message.pk}/report/", {"reason": "rude"}, format="json"
    )
    assert report.status_code == 201
    session = login(ada)
    assert client_for(session).delete(f"/api/v1/messages/{message.pk}/").status_code == 204

    # when: she downloads her data
    client_for(session).post(URL)
    [status] = client_for(session).get(URL).json()
    archive = zip_of(download(status))

    # then: the deleted message is not among her messages, but the file, still stored and still hers, is
    # among her files: an export holds what Parley keeps of a person
    assert json.loads(archive.read("messages.json")) == []
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
    assert download(again[-1].json()).status_code == 200
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


def test_the_token_is_never_in_a_url(eager_celery):
    # given: a ready export, as the app lists it
    session = login(UserFactory())
    client_for(session).post(URL)
    [export] = client_for(session).get(URL).json()

    # then: the download's address carries nothing secret; the token is posted, as a form field or JSON
    assert export["download_url"] == DOWNLOAD
    assert download(export).status_code == 200
    posted = APIClient().post(DOWNLOAD, {"token": export["download_token"]}, format="json")
    assert posted.status_code == 200
    # and a link with the token in its query string, as the app's were (in browser histories), is refused
    for method in (APIClient().get, APIClient().head):
        assert method(f"{DOWNLOAD}?{urlencode({'token': export['download_token']})}").status_code == 405
    assert APIClient().post(f"{DOWNLOAD}?{urlencode({'token': export['download_token']})}").status_code == 400


def test_the_download_token_is_private_and_expires(eager_celery):
    session = login(UserFactory())
    client_for(session).post(URL)
    [export] = client_for(session).get(URL).json()

    forged = download(export, token=export["download_token"][:-3] + "abc")
    assert (forged.status_code, forged.json()["error"]["code"]) == (404, "not_found")
    missing = APIClient().post(DOWNLOAD, {}, format="json")
    assert (missing.status_code, missing.json()["error"]["fields"]) == (
        400,
        {"token": ["This field is required."]},
    )

    DataExport.objects.update(expires_at=datetime.now(tz=UTC) - timedelta(seconds=1))
    expired = download(export)
    assert expired.status_code == 404
    assert "no longer available" in expired.json()["error"]["detail"]


def test_a_token_older_than_an_hour_is_refused(eager_celery):
    session = login(UserFactory())
    client_for(session).post(URL)
    [export] = client_for(session).get(URL).json()
    with mock.patch("time.time", return_value=time.time() - 3601):  # listed an hour and a second ago
        old = selectors.data_export_link_token(DataExport.objects.get())

    late = download(export, token=old)

    assert late.status_code == 404
    assert "download it again from Parley" in late.json()["error"]["detail"]
    assert download(export).status_code == 200  # a fresh listing's token works


def test_expired_zips_are_removed_from_storage(eager_celery):
    from accounts.tasks import purge_expired_data_exports_task

    session = login(UserFactory())
    client_for(session).post(URL)
    export = DataExport.objects.get()
    assert default_storage.exists(export.file_key)
    DataExport.objects.update(expires_at=datetime.now(tz=UTC) - timedelta(seconds=1))

    assert purge_expired_data_exports_task.delay().get() == 1

    assert not default_storage.exists(export.file_key)
    [gone] = client_for(session).get(URL).json()
    assert (gone["download_url"], gone["download_token"]) == (None, None)


def test_nobody_has_an_export_before_asking(auth_client):
    response = auth_client.get(URL)
    assert (response.status_code, response.json()) == (200, [])


def test_admins_download_an_export_from_the_admin_with_no_token(eager_celery):
    # given: ada's export, ready, and a superuser in the admin
    ada = UserFactory(username="ada")
    client_for(login(ada)).post(URL)
    export = DataExport.objects.get()
    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))

    # when: they open Data exports and follow the ZIP link
    listing = admin.get("/admin/accounts/dataexport/").content.decode()
    [link] = re.findall(r'<a href="([^"]+)">ZIP</a>', listing)
    zipped = admin.get(link)

    # then: the link is the admin's own page, with nothing secret in it, and it answers the ZIP
    assert link == f"/admin/accounts/dataexport/{export.pk}/download/"
    assert zipped.status_code == 200
    assert "no-store" in zipped["Cache-Control"]
    assert json.loads(zip_of(zipped).read("profile.json"))["username"] == "ada"


def test_only_those_who_may_view_exports_download_them_in_the_admin(eager_celery):
    client_for(login(UserFactory())).post(URL)
    link = f"/admin/accounts/dataexport/{DataExport.objects.get().pk}/download/"
    staff, member = Client(), Client()
    staff.force_login(UserFactory(is_staff=True))  # a moderator: no permission on exports
    member.force_login(UserFactory())

    assert staff.get(link).status_code == 404
    assert member.get(link)["Location"].startswith("/admin/login/")


def test_an_export_no_longer_kept_has_no_admin_download(eager_celery):
    client_for(login(UserFactory())).post(URL)
    export = DataExport.objects.get()
    DataExport.objects.update(expires_at=datetime.now(tz=UTC) - timedelta(seconds=1))
    admin = Client()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))

    assert ">ZIP</a>" not in admin.get("/admin/accounts/dataexport/").content.decode()
    assert admin.get(f"/admin/accounts/dataexport/{export.pk}/download/").status_code == 404
