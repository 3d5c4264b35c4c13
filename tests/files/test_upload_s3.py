"""The upload flow on S3-compatible storage: moto's server over real HTTP, through django-storages."""

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone

from files.models import StoredFile
from files.tasks import make_file_thumbnail_task
from tests.accounts.factories import UserFactory
from tests.files import samples

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("s3_storage")]


def test_upload_start_gives_a_presigned_post_bound_to_the_key_and_size(auth_client, s3_storage, user):
    # given
    data = samples.png()

    # when
    started = samples.start_upload(auth_client, name="cat.png", data=data, content_type="image/png")

    # then
    stored = StoredFile.objects.get(id=started["id"])
    upload = started["upload"]
    assert (stored.owner, stored.status, stored.size) == (user, StoredFile.Status.PENDING, len(data))
    assert upload["method"] == "POST"
    assert upload["url"].endswith(f"/{s3_storage}")
    assert upload["fields"]["key"] == stored.storage_key
    policy = samples.policy_of(upload)
    assert ["content-length-range", 1, len(data)] in policy["conditions"]
    assert {"key": stored.storage_key} in policy["conditions"]
    assert {"bucket": s3_storage} in policy["conditions"]
    assert not any("acl" in condition for condition in policy["conditions"] if isinstance(condition, dict))
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert timezone.now() < expires <= timezone.now() + timedelta(minutes=10, seconds=5)


def test_storage_key_is_random_and_never_the_name(auth_client):
    # given
    name = "../../etc/passwd\u202egnp.exe"

    # when
    first = samples.start_upload(auth_client, name=name, data=b"x")
    second = samples.start_upload(auth_client, name=name, data=b"x")

    # then
    keys = set(
        StoredFile.objects.filter(id__in=[first["id"], second["id"]]).values_list("storage_key", "name")
    )
    assert len({key for key, _ in keys}) == 2
    for key, stored_name in keys:
        assert "passwd" not in key
        assert ".." not in key
        assert stored_name == "passwdgnp.exe"  # no directories, no right-to-left override


def test_whole_flow_for_an_image(auth_client, queued_thumbnails, django_capture_on_commit_callbacks):
    # given
    data = samples.png(640, 480)
    started = samples.start_upload(auth_client, name="cat.png", data=data, content_type="text/plain")
    assert samples.post_to_storage(started["upload"], data).status_code == 204

    # when
    with django_capture_on_commit_callbacks(execute=True):
        completed = auth_client.post(f"/api/v1/files/{started['id']}/complete/")

    # then
    assert completed.status_code == 200
    assert completed.json() == {
        "id": started["id"],
        "name": "cat.png",
        "size": len(data),
        "content_type": "image/png",  # sniffed; the client said text/plain
        "width": 640,
        "height": 480,
        "thumbnail_url": None,
    }
    assert queued_thumbnails == [started["id"]]

    # when the queued task runs
    make_file_thumbnail_task(queued_thumbnails[0])

    # then
    stored = StoredFile.objects.get(id=started["id"])
    assert stored.status == StoredFile.Status.READY
    assert stored.thumbnail_key
    thumb = auth_client.get(f"/api/v1/files/{started['id']}/thumbnail/")
    assert thumb.status_code == 302
    fetched = requests.get(thumb["Location"], timeout=10)
    assert fetched.headers["Content-Type"] == "image/webp"
    assert fetched.content[:4] == b"RIFF"
    assert fetched.content[8:12] == b"WEBP"
    download = auth_client.get(f"/api/v1/files/{started['id']}/download/")
    assert requests.get(download["Location"], timeout=10).content == data


def test_download_is_a_short_lived_presigned_get(auth_client):
    # given
    completed = samples.upload_to_s3(auth_client, name="cat.png", data=samples.png())

    # when
    response = auth_client.get(f"/api/v1/files/{completed['id']}/download/")

    # then
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["X-Amz-Expires"] == ["300"]
    assert "X-Amz-Signature" in query
    assert query["response-content-type"] == ["image/png"]
    assert query["response-content-disposition"][0].startswith("inline")


def test_a_lie_about_the_size_is_refused_and_the_object_removed(auth_client, s3_client, s3_storage):
    # given: 10 bytes declared, 1000 sent (real S3 refuses this by the policy; moto does not check)
    data = b"A" * 1000
    started = samples.start_upload(auth_client, name="notes.txt", data=data, size=10)
    assert samples.post_to_storage(started["upload"], data).status_code == 204
    key = StoredFile.objects.get(id=started["id"]).storage_key

    # when
    response = auth_client.post(f"/api/v1/files/{started['id']}/complete/")

    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "file": ["The uploaded file does not match the size declared."]
    }
    assert not StoredFile.objects.filter(id=started["id"]).exists()
    assert s3_client.list_objects_v2(Bucket=s3_storage, Prefix=key).get("KeyCount") == 0
    assert auth_client.get(f"/api/v1/files/{started['id']}/download/").status_code == 404


def test_complete_before_uploading_is_refused_and_the_file_stays_pending(auth_client):
    # given
    started = samples.start_upload(auth_client, name="later.pdf", data=samples.PDF)

    # when
    response = auth_client.post(f"/api/v1/files/{started['id']}/complete/")

    # then
    assert response.status_code == 400
    assert response.json()["error"]["detail"] == "Nothing has been uploaded for this file yet."
    assert StoredFile.objects.get(id=started["id"]).status == StoredFile.Status.PENDING


def test_complete_twice_is_harmless_and_queues_one_thumbnail(
    auth_client, queued_thumbnails, django_capture_on_commit_callbacks
):
    # given
    data = samples.png()
    started = samples.start_upload(auth_client, name="cat.png", data=data)
    samples.post_to_storage(started["upload"], data)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        first = auth_client.post(f"/api/v1/files/{started['id']}/complete/")
        second = auth_client.post(f"/api/v1/files/{started['id']}/complete/")

    # then
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert queued_thumbnails == [started["id"]]


def test_only_the_owner_may_complete(auth_client, api_client):
    # given
    data = samples.PDF
    started = samples.start_upload(auth_client, name="mine.pdf", data=data)
    samples.post_to_storage(started["upload"], data)
    api_client.force_authenticate(UserFactory())

    # when
    response = api_client.post(f"/api/v1/files/{started['id']}/complete/")

    # then
    assert response.status_code == 404
    assert StoredFile.objects.get(id=started["id"]).status == StoredFile.Status.PENDING


@pytest.mark.parametrize(
    ("name", "data"), [("page.html", samples.HTML), ("logo.svg", samples.SVG), ("x.png", samples.FAKE_PNG)]
)
def test_markup_and_fakes_are_served_as_opaque_downloads(auth_client, name, data):
    # given
    completed = samples.upload_to_s3(auth_client, name=name, data=data, content_type="image/svg+xml")
    make_file_thumbnail_task(completed["id"])  # a fake PNG is found out when decoded in full

    # when
    response = auth_client.get(f"/api/v1/files/{completed['id']}/download/")

    # then
    assert StoredFile.objects.get(id=completed["id"]).content_type == "application/octet-stream"
    assert response.status_code == 302
    assert response["X-Content-Type-Options"] == "nosniff"
    fetched = requests.get(response["Location"], timeout=10)
    assert fetched.headers["Content-Type"] == "application/octet-stream"
    assert fetched.headers["Content-Disposition"].startswith("attachment")
    assert auth_client.get(f"/api/v1/files/{completed['id']}/thumbnail/").status_code == 404


def test_bucket_and_objects_stay_private(auth_client, s3_client, s3_storage, moto_endpoint):
    # given
    completed = samples.upload_to_s3(auth_client, name="cat.png", data=samples.png())
    make_file_thumbnail_task(completed["id"])
    stored = StoredFile.objects.get(id=completed["id"])

    # then: no public grant on the bucket or any object, no bucket policy, no anonymous read
    public = "http://acs.amazonaws.com/groups/global/AllUsers"
    assert all(
        g["Grantee"].get("URI") != public for g in s3_client.get_bucket_acl(Bucket=s3_storage)["Grants"]
    )
    for key in (stored.storage_key, stored.thumbnail_key):
        grants = s3_client.get_object_acl(Bucket=s3_storage, Key=key)["Grants"]
        assert all(g["Grantee"].get("URI") != public for g in grants)
        assert requests.get(f"{moto_endpoint}/{s3_storage}/{key}", timeout=10).status_code == 403
    with pytest.raises(s3_client.exceptions.ClientError):
        s3_client.get_bucket_policy(Bucket=s3_storage)


def test_presigned_urls_name_the_address_browsers_reach_the_bucket_at(auth_client, settings, moto_endpoint):
    # given: Parley reaches the bucket at 127.0.0.1, browsers at localhost (as with MinIO in docker compose)
    public = moto_endpoint.replace("127.0.0.1", "localhost")
    settings.S3_PUBLIC_ENDPOINT_URL = public
    data = samples.png()

    # when: a browser uploads and downloads through the URLs it is given
    started = samples.start_upload(auth_client, name="cat.png", data=data, content_type="image/png")
    uploaded = samples.post_to_storage(started["upload"], data)
    assert auth_client.post(f"/api/v1/files/{started['id']}/complete/").status_code == 200
    download = auth_client.get(f"/api/v1/files/{started['id']}/download/")

    # then: both name the public address, and their signatures hold there
    assert started["upload"]["url"].startswith(f"{public}/")
    assert uploaded.status_code == 204
    assert download["Location"].startswith(f"{public}/")
    assert requests.get(download["Location"], timeout=10).content == data
