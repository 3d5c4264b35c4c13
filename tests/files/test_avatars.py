"""Profile pictures: PUT/DELETE /api/v1/users/me/avatar/ (accounts) and GET /api/v1/users/<id>/avatar/
(files), on local disk and on S3 (moto) alike: checked as a picture, re-encoded to a small square WebP without
its metadata, old pictures deleted once replaced, nothing written for a refused upload."""

import io
from typing import Any, cast

import pytest
import requests
from django.core.files.storage import default_storage
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services.avatars import AVATAR_MAX_BYTES, AVATAR_SIZE
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

AVATAR_URL = "/api/v1/users/me/avatar/"
GPS_TAG = 0x8825  # GPSInfo


@pytest.fixture(params=["local", "s3"])
def storage(request):
    return request.getfixturevalue(f"{request.param}_storage")


def picture(fmt: str = "PNG", size: tuple[int, int] = (640, 480), *, gps: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 40, 40))
    out = io.BytesIO()
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "Phone Maker"  # Make
        exif.get_ifd(GPS_TAG).update({1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)})
        image.save(out, format=fmt, exif=exif)
    else:
        image.save(out, format=fmt)
    return out.getvalue()


def upload(client: APIClient, data: bytes, name: str = "me.png", content_type: str = "image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.put(
        AVATAR_URL, {"avatar": SimpleUploadedFile(name, data, content_type)}, format="multipart"
    )


def stored_names(user_id: int) -> list[str]:
    try:
        return sorted(default_storage.listdir(f"avatars/{user_id}")[1])
    except FileNotFoundError:
        return []


def read_avatar(client: APIClient, url: str) -> tuple[bytes, dict[str, str]]:
    response = client.get(url)
    if response.status_code == 302:  # S3: a presigned GET
        fetched = requests.get(response["Location"], timeout=10)
        assert fetched.status_code == 200
        return fetched.content, dict(fetched.headers)
    assert response.status_code == 200
    return b"".join(cast(Any, response).streaming_content), dict(response.items())


def test_upload_stores_a_small_square_webp_that_others_read(
    storage, auth_client, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(auth_client, picture("JPEG", (1200, 800)), "me.jpg", "image/jpeg")

    assert response.status_code == 200, response.content
    url = response.json()["avatar_url"]
    assert url.startswith(f"/api/v1/users/{user.pk}/avatar/?v=")
    user.refresh_from_db()
    assert user.avatar.name.startswith(f"avatars/{user.pk}/")
    assert user.avatar.name.endswith(".webp")
    # another signed-in user finds it in the users list and reads the picture
    other = APIClient()
    other.force_authenticate(UserFactory())
    listed = other.get("/api/v1/users/", {"ids": str(user.pk)}).json()["results"]
    assert listed[0]["avatar_url"] == url
    data, headers = read_avatar(other, url)
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("WEBP", (AVATAR_SIZE, AVATAR_SIZE))
    assert headers.get("Content-Type", headers.get("content-type")) == "image/webp"
    assert len(data) < 20_000


def test_the_picture_is_served_as_an_image_never_sniffed(local_storage, auth_client, user):
    url = upload(auth_client, picture()).json()["avatar_url"]
    response = auth_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert APIClient().get(url).status_code == 401  # signed-in readers only


def test_a_user_without_a_picture_has_none(auth_client, user):
    assert auth_client.get("/api/v1/users/me/").json()["avatar_url"] is None
    assert auth_client.get(f"/api/v1/users/{user.pk}/avatar/").status_code == 404


def test_replacing_deletes_the_old_picture_after_commit(
    storage, auth_client, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(auth_client, picture()).json()["avatar_url"]
    old = User.objects.get(pk=user.pk).avatar.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        second = upload(auth_client, picture("GIF"), "me.gif", "image/gif").json()["avatar_url"]
    assert default_storage.exists(old)  # not before the commit
    for callback in callbacks:
        callback()

    assert first != second
    assert not default_storage.exists(old)
    assert stored_names(user.pk) == [User.objects.get(pk=user.pk).avatar.name.rsplit("/", 1)[1]]


def test_removing_deletes_the_picture(storage, auth_client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(auth_client, picture("WEBP"), "me.webp", "image/webp")
    old = User.objects.get(pk=user.pk).avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(AVATAR_URL)

    assert response.status_code == 200
    assert response.json()["avatar_url"] is None
    assert User.objects.get(pk=user.pk).avatar.name == ""
    assert not default_storage.exists(old)
    assert auth_client.delete(AVATAR_URL).status_code == 200  # none to remove: still none


def test_exif_and_gps_are_stripped(local_storage, auth_client, user):
    original = picture("JPEG", gps=True)
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(GPS_TAG)  # the upload has a position

    url = upload(auth_client, original, "me.jpg", "image/jpeg").json()["avatar_url"]

    data, _ = read_avatar(auth_client, url)
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif()
        assert "exif" not in image.info
        assert "icc_profile" not in image.info
    assert b"Phone Maker" not in data


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="9" height="9"/></svg>'


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (SVG, "me.svg", "image/svg+xml"),
        (SVG, "me.png", "image/png"),  # an SVG named as a PNG
        (b"%PDF-1.4 not a picture", "me.png", "image/png"),
        (b"<html><script>alert(1)</script></html>", "me.gif", "image/gif"),
        (picture()[:200], "me.png", "image/png"),  # a truncated PNG
        (picture("BMP"), "me.bmp", "image/bmp"),  # a picture, but not one of the four
        (picture("TIFF"), "me.tif", "image/tiff"),
    ],
)
def test_anything_but_a_png_jpeg_webp_or_gif_is_refused(storage, auth_client, user, data, name, content_type):
    response = upload(auth_client, data, name, content_type)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_an_image"
    assert response.json()["error"]["detail"].startswith("That file is not a picture")
    assert User.objects.get(pk=user.pk).avatar.name == ""
    assert stored_names(user.pk) == []


def test_an_oversized_picture_is_refused_and_the_old_one_kept(local_storage, auth_client, user):
    upload(auth_client, picture())
    kept = User.objects.get(pk=user.pk).avatar.name
    big = picture() + b"\0" * (AVATAR_MAX_BYTES + 1)

    response = upload(auth_client, big)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert User.objects.get(pk=user.pk).avatar.name == kept
    assert stored_names(user.pk) == [kept.rsplit("/", 1)[1]]


def test_a_request_without_a_file_is_invalid(auth_client, user):
    response = auth_client.put(AVATAR_URL, {}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "avatar" in response.json()["error"]["fields"]


def test_a_failed_save_leaves_no_orphan_file(local_storage, auth_client, user, monkeypatch):
    from accounts.services import avatars

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(avatars, "_avatar_record", broken)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    assert upload(client, picture()).status_code == 500
    assert stored_names(user.pk) == []


def test_changes_are_rate_limited(local_storage, auth_client, user, monkeypatch):
    from django.core.cache import cache

    from accounts.api.throttles import AvatarChangeThrottle

    cache.clear()
    monkeypatch.setattr(AvatarChangeThrottle, "rate", "2/hour", raising=False)
    assert upload(auth_client, picture()).status_code == 200
    assert auth_client.delete(AVATAR_URL).status_code == 200

    refused = upload(auth_client, picture())

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
