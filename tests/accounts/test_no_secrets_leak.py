import pytest

from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_no_response_carries_a_password_hash_or_another_users_email(api_client):
    # given: two users, one of whom is looking around
    me = UserFactory(username="me")
    other = UserFactory(username="other", email="private-other@example.com")
    tokens = api_client.post(
        "/api/v1/auth/token/", {"username": "me", "password": DEFAULT_PASSWORD}, format="json"
    ).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    # when: every accounts endpoint answers
    bodies = [
        api_client.post(
            "/api/v1/auth/register/",
            {"username": "new", "email": "n@example.com", "password": "velvet-otter-sings-42"},
            format="json",
        ),
        api_client.get("/api/v1/users/me/"),
        api_client.patch("/api/v1/users/me/", {"display_name": "Me"}, format="json"),
        api_client.get("/api/v1/users/"),
        api_client.get("/api/v1/users/", {"search": "other"}),
        api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"),
        api_client.get("/api/v1/schema/"),
    ]
    # then
    for response in bodies:
        text = response.content.decode()
        assert "argon2" not in text
        assert other.password not in text
        assert me.password not in text
        assert other.email not in text
