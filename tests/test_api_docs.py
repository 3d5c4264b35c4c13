import pytest

pytestmark = pytest.mark.django_db


def test_openapi_schema_describes_the_accounts_api(api_client):
    response = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/auth/token/refresh/",
        "/api/v1/auth/logout/",
        "/api/v1/users/me/",
        "/api/v1/users/",
    ]:
        assert path in paths


def test_interactive_docs_are_served(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_home_page_is_served(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Parley" in response.content
