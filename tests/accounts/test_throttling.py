import pytest

TOKEN_URL = "/api/v1/auth/token/"
REGISTER_URL = "/api/v1/auth/register/"

pytestmark = pytest.mark.django_db


def login_attempt(client, username, ip):
    return client.post(TOKEN_URL, {"username": username, "password": "wrong"}, format="json", REMOTE_ADDR=ip)


def test_login_is_throttled_per_username_across_ips(api_client, user):
    answers = [login_attempt(api_client, user.username, f"10.0.0.{n}").status_code for n in range(11)]
    assert answers[:10] == [401] * 10
    throttled = login_attempt(api_client, user.username, "10.0.1.1")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert throttled.json()["error"]["code"] == "throttled"


def test_login_is_throttled_per_ip_across_usernames(api_client):
    answers = [login_attempt(api_client, f"name{n}", "10.9.9.9").status_code for n in range(20)]
    assert set(answers) == {401}
    throttled = login_attempt(api_client, "someone-new", "10.9.9.9")
    assert throttled.status_code == 429
    assert "Retry-After" in throttled
    # another address is not affected
    assert login_attempt(api_client, "someone-new", "10.9.9.10").status_code == 401


def test_registration_is_throttled_per_ip(api_client):
    for n in range(20):
        api_client.post(REGISTER_URL, {"username": f"n{n}"}, format="json", REMOTE_ADDR="10.8.8.8")
    response = api_client.post(REGISTER_URL, {"username": "late"}, format="json", REMOTE_ADDR="10.8.8.8")
    assert response.status_code == 429
    assert "Retry-After" in response


# A lone surrogate (the JSON escape "\ud800") is text no account name or address can hold: the serializer
# refuses it, and the limits keyed by that field must not fail on it first (they encoded it: a 500).
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (TOKEN_URL, '{"username": "a\\ud800", "password": "x"}', "username"),
        (REGISTER_URL, '{"username": "a\\ud800", "email": "x@example.com", "password": "x"}', "username"),
        ("/api/v1/auth/password/reset/", '{"email": "a\\ud800@example.com"}', "email"),
    ],
)
def test_a_lone_surrogate_in_a_throttled_field_is_a_400_naming_it(api_client, path, body, field, mailoutbox):
    response = api_client.post(path, body, content_type="application/json", REMOTE_ADDR="10.7.7.7")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == ("invalid", [field])
    assert mailoutbox == []
