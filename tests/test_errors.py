import pytest

pytestmark = pytest.mark.django_db


def test_unknown_api_path_answers_the_standard_error_body(api_client):
    response = api_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "detail": "Not found.", "fields": {}}}


def test_wrong_method_answers_the_standard_error_body(auth_client):
    response = auth_client.delete("/api/v1/users/me/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_unsupported_media_type_is_refused_clearly(api_client):
    response = api_client.post(
        "/api/v1/auth/token/", "username=a&password=b", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
