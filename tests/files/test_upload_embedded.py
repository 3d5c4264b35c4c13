"""The embedded mode: files on local disk, uploaded to and served by Parley itself."""

import io

import pytest
from django.core.exceptions import ValidationError

from files import services
from files.models import StoredFile
from files.tasks import make_file_thumbnail_task
from tests.accounts.factories import UserFactory
from tests.files import samples

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_storage")]


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def test_upload_target_is_parleys_own_put(auth_client):
    started = samples.start_upload(auth_client, name="notes.pdf", data=samples.PDF)
    assert started["upload"] == {
        "url": f"/api/v1/files/{started['id']}/content/",
        "method": "PUT",
        "headers": {"Content-Type": "application/octet-stream"},
    }


def test_whole_flow_streams_to_disk_and_back(auth_client, local_storage):
    # when
    completed = samples.upload_embedded(auth_client, name="notes.pdf", data=samples.PDF)

    # then
    stored = StoredFile.objects.get(id=completed["id"])
    assert (local_storage / stored.storage_key).read_bytes() == samples.PDF
    assert completed["content_type"] == "application/pdf"
    response = auth_client.get(f"/api/v1/files/{completed['id']}/download/")
    assert response.status_code == 200
    assert body_of(response) == samples.PDF
    assert response["Content-Disposition"] == 'attachment; filename="notes.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_images_are_inline_and_get_thumbnails(auth_client):
    # given
    completed = samples.upload_embedded(auth_client, name="cat.png", data=samples.png(1000, 500))

    # when
    make_file_thumbnail_task(completed["id"])

    # then
    response = auth_client.get(f"/api/v1/files/{completed['id']}/download/")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    thumb = auth_client.get(f"/api/v1/files/{completed['id']}/thumbnail/")
    assert thumb.status_code == 200
    assert thumb["Content-Type"] == "image/webp"
    assert body_of(thumb)[8:12] == b"WEBP"


def test_a_portrait_phone_photo_is_reported_portrait(auth_client):
    # given: a phone's portrait photo, stored 800x600 with EXIF Orientation 6 (it was reported 800 wide and
    # 600 high, and the web app drew its 240x320 thumbnail squashed into a landscape box)
    completed = samples.upload_embedded(auth_client, name="portrait.jpg", data=samples.phone_photo(800, 600))
    assert (completed["width"], completed["height"]) == (600, 800)

    # when
    make_file_thumbnail_task(completed["id"])

    # then
    stored = StoredFile.objects.get(id=completed["id"])
    assert (stored.width, stored.height) == (600, 800)
    assert stored.thumbnail_key


@pytest.mark.parametrize(("name", "data"), [("page.html", samples.HTML), ("logo.svg", samples.SVG)])
def test_markup_never_runs_in_parleys_origin(auth_client, name, data):
    # given
    completed = samples.upload_embedded(auth_client, name=name, data=data)

    # when
    response = auth_client.get(f"/api/v1/files/{completed['id']}/download/")

    # then
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_body_larger_than_declared_is_refused_and_nothing_kept(auth_client, local_storage):
    # given
    started = samples.start_upload(auth_client, name="notes.txt", data=b"x" * 10)

    # when
    response = auth_client.generic("PUT", started["upload"]["url"], b"x" * 11)

    # then
    assert response.status_code == 400
    stored = StoredFile.objects.get(id=started["id"])
    assert stored.status == StoredFile.Status.PENDING
    assert stored_files(local_storage) == []


def test_a_stream_longer_than_declared_is_cut_off(user, local_storage):
    # given: no Content-Length to trust, only the stream
    started = services.file_upload_start(owner=user, name="a.txt", size=10)

    # when
    with pytest.raises(ValidationError):
        services.file_upload_receive(
            owner=user, file_id=started.file.id, stream=io.BytesIO(b"y" * 100_000), length=None
        )

    # then
    assert stored_files(local_storage) == []


def test_only_the_owner_may_put_and_only_while_pending(auth_client, api_client):
    # given
    started = samples.start_upload(auth_client, name="a.txt", data=b"hello")
    api_client.force_authenticate(UserFactory())

    # then
    assert api_client.generic("PUT", started["upload"]["url"], b"hello").status_code == 404
    assert auth_client.generic("PUT", started["upload"]["url"], b"hello").status_code == 204
    assert auth_client.post(f"/api/v1/files/{started['id']}/complete/").status_code == 200
    assert auth_client.generic("PUT", started["upload"]["url"], b"bye").status_code == 404
