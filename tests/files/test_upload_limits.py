"""The size limit is refused up front, before anything is stored or presigned."""

import pytest

from files.models import StoredFile

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("s3_storage")]


def test_default_limit_is_25_mib(settings):
    assert settings.FILE_UPLOAD_MAX_BYTES == 25 * 1024 * 1024


def test_a_file_over_the_limit_is_refused_up_front(auth_client, settings):
    # given
    settings.FILE_UPLOAD_MAX_BYTES = 1024 * 1024

    # when
    response = auth_client.post("/api/v1/files/", {"name": "big.iso", "size": 1024 * 1024 + 1}, format="json")

    # then
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "detail": "This file is too large: files may be at most 1 MiB.",
        "fields": {"size": ["This file is too large: files may be at most 1 MiB."]},
    }
    assert not StoredFile.objects.exists()


@pytest.mark.parametrize("size", [0, -5])
def test_an_empty_file_is_refused_in_words_a_person_understands(auth_client, size):
    # when
    response = auth_client.post("/api/v1/files/", {"name": "empty.txt", "size": size}, format="json")

    # then: the web app shows `detail` beside the file (it was DRF's "Ensure this value is greater than or
    # equal to 1.")
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "detail": "This file is empty.",
        "fields": {"size": ["This file is empty."]},
    }
    assert not StoredFile.objects.exists()


def test_a_file_at_the_limit_is_accepted(auth_client, settings):
    settings.FILE_UPLOAD_MAX_BYTES = 1024
    response = auth_client.post("/api/v1/files/", {"name": "ok.bin", "size": 1024}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    "body",
    [{"name": "a.txt", "size": 0}, {"name": "a.txt", "size": -5}, {"name": "", "size": 5}, {"size": 5}, {}],
)
def test_bad_upload_requests_are_refused(auth_client, body):
    response = auth_client.post("/api/v1/files/", body, format="json")
    assert response.status_code == 400
    assert not StoredFile.objects.exists()


def test_uploading_needs_authentication(api_client):
    response = api_client.post("/api/v1/files/", {"name": "a.txt", "size": 5}, format="json")
    assert response.status_code == 401
