import pytest
from rest_framework.test import APIClient

from core.errors import throttled_detail

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


def test_every_error_body_is_rendered_alike_however_it_is_answered(auth_client, client, settings):
    # the router's 404 (no route), a view's 404 (DRF) and Django's 400 before any view: the same compact
    # bytes (the router's and Django's were spaced, `{"error": {"code": "not_found", …}}`, unlike the others)
    no_route = auth_client.get("/api/v1/no-such-thing/")
    from_a_view = auth_client.get("/api/v1/bots/999999/")
    settings.ALLOWED_HOSTS = ["parley.example.com"]
    before_any_view = client.get("/api/v1/users/me/", HTTP_HOST="elsewhere.example.com")
    assert no_route.content == b'{"error":{"code":"not_found","detail":"Not found.","fields":{}}}'
    assert from_a_view.status_code == 404
    assert from_a_view.content.startswith(b'{"error":{"code":"not_found","detail":')
    assert before_any_view.content == (
        b'{"error":{"code":"bad_request","detail":"The request could not be read.","fields":{}}}'
    )
    for response in (no_route, from_a_view, before_any_view):
        assert response["Content-Type"] == "application/json"


def test_a_server_error_body_is_compact_too(rf):
    from core.errors import json_server_error

    response = json_server_error(rf.get("/api/v1/users/me/"))
    assert response.status_code == 500
    assert response.content == (
        b'{"error":{"code":"server_error","detail":"Something went wrong on our side.","fields":{}}}'
    )


def test_a_rate_limit_says_how_long_to_wait_in_words(settings):
    # given: anonymous requests limited to 3 a minute
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = APIClient()
    # when: a fourth
    for _ in range(3):
        client.post("/api/v1/auth/token/refresh/", {}, format="json")
    refused = client.post("/api/v1/auth/token/refresh/", {}, format="json")
    # then: the wait in words, as Retry-After has it (DRF said "Request was throttled. Expected available
    # in 60 seconds.")
    assert refused.status_code == 429
    wait = int(refused["Retry-After"])
    assert refused.json()["error"] == {
        "code": "throttled",
        "detail": f"Too many requests: try again in {wait} seconds.",
        "fields": {},
    }


@pytest.mark.parametrize(
    ("wait", "words"),
    [
        (None, "Too many requests: try again later."),
        (0.2, "Too many requests: try again in 1 second."),
        (52, "Too many requests: try again in 52 seconds."),
        (89, "Too many requests: try again in 89 seconds."),
        (90, "Too many requests: try again in 2 minutes."),
        (3583, "Too many requests: try again in 60 minutes."),
        (7200, "Too many requests: try again in 2 hours."),
    ],
)
def test_a_long_wait_is_said_in_minutes_or_hours(wait, words):
    assert throttled_detail(wait) == words
