"""A moderator opens a reported message's files from the admin, before removing the message or dismissing the
report: from the report's page and the message's, handed over as the files API hands them to members (a
short-lived presigned GET, or the bytes with the same safe headers). Nobody else reaches them there."""

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.apps import apps
from django.test import Client
from rest_framework.test import APIClient

from files.models import StoredFile
from files.tasks import make_file_thumbnail_task
from moderation.groups import sync_moderators_group
from moderation.models import AuditEntry, Report
from tests.accounts.factories import UserFactory
from tests.files import samples
from tests.files.conftest import local_storage, moto_endpoint, s3_client, s3_storage  # noqa: F401
from tests.files.factories import share

pytestmark = pytest.mark.django_db

REPORTS = "/admin/moderation/report/"
MESSAGES = "/admin/messaging/message/"


@pytest.fixture
def moderator(db):
    """A staff member in the Moderators group (conftest.py's, in a test that needs no flushed database)."""
    user = UserFactory(username="mod", is_staff=True)
    user.groups.add(sync_moderators_group(apps))
    return user


def uploaded(sender, name: str, data: bytes, *, upload=samples.upload_to_s3) -> str:
    """A file `sender` uploaded through the API (and its thumbnail made, for an image); its id."""
    client = APIClient()
    client.force_authenticate(sender)
    file_id = upload(client, name=name, data=data)["id"]
    make_file_thumbnail_task(file_id)
    return file_id


def reported_with(*file_ids: str):
    """Bob's message carrying the files, reported by Ada; (report, message)."""
    files = [StoredFile.objects.get(id=file_id) for file_id in file_ids]
    reporter: Any = UserFactory(username="ada")
    message = share(files[0], members=[reporter])
    message.attachments.add(*files[1:])
    report = Report.objects.create(
        message=message, reporter=reporter, reason="nasty", message_body=message.body
    )
    return report, message


@pytest.mark.usefixtures("s3_storage")
def test_a_moderator_opens_a_reported_message_s_files_from_the_report_and_the_message(
    moderator_client, moderator
):
    # given: bob's reported message with a picture and a PDF
    bob = UserFactory(username="bob")
    picture = uploaded(bob, "picture.png", samples.png())
    pdf = uploaded(bob, "evidence.pdf", samples.PDF)
    report, message = reported_with(picture, pdf)

    # when: a moderator opens the report's page and the message's
    for page in (f"{REPORTS}{report.pk}/change/", f"{MESSAGES}{message.pk}/change/"):
        shown = moderator_client.get(page).content.decode()

        # then: both files are linked, the picture's thumbnail shown (they were only names, or nothing)
        assert f'href="{REPORTS}file/{picture}/"' in shown, page
        assert f'src="{REPORTS}file/{picture}/thumbnail/"' in shown, page
        assert f'href="{REPORTS}file/{pdf}/"' in shown, page
        assert f'src="{REPORTS}file/{pdf}/thumbnail/"' not in shown, page
        assert "evidence.pdf" in shown

    # and each opens as members get it: a presigned GET of a few minutes; the PDF a download, never sniffed
    response = moderator_client.get(f"{REPORTS}file/{pdf}/")
    assert response.status_code == 302
    assert response["X-Content-Type-Options"] == "nosniff"
    assert parse_qs(urlsplit(response["Location"]).query)["X-Amz-Expires"] == ["300"]
    fetched = requests.get(response["Location"], timeout=10)
    assert fetched.content == samples.PDF
    assert fetched.headers["Content-Disposition"].startswith("attachment")
    # the picture inline, and its thumbnail
    shown = requests.get(moderator_client.get(f"{REPORTS}file/{picture}/")["Location"], timeout=10)
    assert (shown.headers["Content-Type"], shown.content) == ("image/png", samples.png())
    assert shown.headers["Content-Disposition"].startswith("inline")
    thumbnail = moderator_client.get(f"{REPORTS}file/{picture}/thumbnail/")
    assert requests.get(thumbnail["Location"], timeout=10).content[8:12] == b"WEBP"
    # and opening them is no moderation action: the audit log records none
    assert not AuditEntry.objects.exists()


def test_embedded_files_come_with_the_files_app_s_safe_headers(moderator_client, local_storage):  # noqa: F811
    # given
    bob = UserFactory(username="bob")
    page = uploaded(bob, "page.html", samples.HTML, upload=samples.upload_embedded)
    picture = uploaded(bob, "picture.png", samples.png(), upload=samples.upload_embedded)
    reported_with(page, picture)

    # when
    markup = moderator_client.get(f"{REPORTS}file/{page}/")
    image = moderator_client.get(f"{REPORTS}file/{picture}/")

    # then: markup is an opaque download that cannot run in the admin's origin; the picture is inline
    assert markup.status_code == image.status_code == 200
    assert b"".join(markup.streaming_content) == samples.HTML
    assert markup["Content-Type"] == "application/octet-stream"
    assert markup["Content-Disposition"].startswith("attachment")
    for response in (markup, image):
        assert response["X-Content-Type-Options"] == "nosniff"
        policy = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
        assert response["Content-Security-Policy"] == policy
    assert image["Content-Type"] == "image/png"
    assert image["Content-Disposition"].startswith("inline")


@pytest.mark.usefixtures("s3_storage")
def test_nobody_else_opens_them_and_no_other_file_opens_there(moderator_client, moderator):
    # given: a reported message's file, and a file bob shared in a message nobody reported
    bob = UserFactory(username="bob")
    reported = uploaded(bob, "evidence.pdf", samples.PDF)
    reported_with(reported)
    unreported = uploaded(bob, "private.pdf", samples.PDF)
    message = share(StoredFile.objects.get(id=unreported), members=[UserFactory()])
    url = f"{REPORTS}file/{reported}/"

    # then: a member, even the file's owner, is sent to the admin's login, as for any admin page
    member = Client()
    member.force_login(bob)
    assert member.get(url).status_code == 302
    assert member.get(url)["Location"].startswith("/admin/login/")
    # staff without the reports' permission are refused
    staff = Client()
    staff.force_login(UserFactory(username="clerk", is_staff=True))
    assert staff.get(url).status_code == 403
    assert staff.get(f"{url}thumbnail/").status_code == 403
    # a moderator gets the same 404 for a file no report concerns, an unknown one, and a missing thumbnail
    assert moderator_client.get(f"{REPORTS}file/{unreported}/").status_code == 404
    assert moderator_client.get(f"{REPORTS}file/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert moderator_client.get(f"{url}thumbnail/").status_code == 404
    # and the unreported message's page names its file without a link
    shown = moderator_client.get(f"{MESSAGES}{message.pk}/change/").content.decode()
    assert "private.pdf" in shown
    assert f"file/{unreported}/" not in shown
