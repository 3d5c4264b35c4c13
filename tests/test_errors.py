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


def test_a_body_too_large_to_read_is_a_413_in_the_standard_error_body(api_client, settings):
    # past DATA_UPLOAD_MAX_MEMORY_SIZE Django refuses to read a body: it answered with an HTML 400 page
    body = '{"username": "ada", "password": "' + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + '"}'
    response = api_client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_a_request_refused_before_any_view_answers_the_standard_error_body(client, settings):
    settings.ALLOWED_HOSTS = ["parley.example.com"]
    response = client.get("/api/v1/users/me/", HTTP_HOST="elsewhere.example.com")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_an_api_call_missing_its_trailing_slash_is_redirected_keeping_its_method(auth_client):
    # a 301 made clients repeat the POST as a GET: a list came back and nothing was created
    response = auth_client.post("/api/v1/conversations", {"kind": "group", "title": "x"}, format="json")
    assert response.status_code == 308
    assert response["Location"] == "/api/v1/conversations/"
