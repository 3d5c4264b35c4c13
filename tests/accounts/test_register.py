import pytest

from accounts.models import User
from tests.accounts.factories import UserFactory

REGISTER_URL = "/api/v1/auth/register/"
STRONG_PASSWORD = "velvet-otter-sings-42"

pytestmark = pytest.mark.django_db


def test_register_creates_user_and_returns_public_fields(api_client):
    # when
    response = api_client.post(
        REGISTER_URL,
        {"username": "ada", "email": "ada@example.com", "password": STRONG_PASSWORD},
        format="json",
    )
    # then
    assert response.status_code == 201
    user = User.objects.get(username="ada")
    assert response.json() == {"id": user.id, "username": "ada", "display_name": ""}
    assert user.check_password(STRONG_PASSWORD)
    assert user.password.startswith("argon2$argon2id$")


def test_duplicate_username_is_refused_whatever_its_case(api_client):
    UserFactory(username="ada")
    response = api_client.post(
        REGISTER_URL,
        {"username": "ADA", "email": "x@example.com", "password": STRONG_PASSWORD},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "username" in error["fields"]
    assert User.objects.filter(username__iexact="ada").count() == 1


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short1!", "too short"), ("password123", "too common"), ("48213957602", "entirely numeric")],
)
def test_weak_password_is_refused_and_nothing_is_stored(api_client, password, reason):
    response = api_client.post(
        REGISTER_URL, {"username": "grace", "email": "g@example.com", "password": password}, format="json"
    )
    assert response.status_code == 400
    assert reason in " ".join(response.json()["error"]["fields"]["password"])
    assert not User.objects.filter(username="grace").exists()


def test_password_similar_to_username_is_refused(api_client):
    response = api_client.post(
        REGISTER_URL,
        {"username": "margaret", "email": "m@example.com", "password": "margaret1"},
        format="json",
    )
    assert response.status_code == 400
    assert "password" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "bob", "email": "not-an-email", "password": STRONG_PASSWORD},
        {"username": "bob smith", "email": "b@example.com", "password": STRONG_PASSWORD},
        {"username": "b" * 151, "email": "b@example.com", "password": STRONG_PASSWORD},
        {"username": ["bob"], "email": "b@example.com", "password": STRONG_PASSWORD},
    ],
)
def test_malformed_registration_is_a_clear_400(api_client, body):
    response = api_client.post(REGISTER_URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["fields"]
    assert User.objects.count() == 0


def test_body_that_is_not_json_is_a_parse_error(api_client):
    response = api_client.post(REGISTER_URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_a_username_with_a_space_is_refused_naming_the_characters_allowed(api_client):
    response = api_client.post(
        REGISTER_URL,
        {"username": "new user", "email": "n@example.com", "password": STRONG_PASSWORD},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["username"] == [
        "Use only letters, digits and the characters @ . + - _ (no spaces)."
    ]
    assert not User.objects.exists()
