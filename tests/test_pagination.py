"""The REST lists' pages (docs/api.md, "Lists and pages"): a `page` that is not a whole number from 1 is a 400
naming it; a page past the last does not exist (404)."""

import pytest

from tests.messaging.factories import make_conversation

pytestmark = pytest.mark.django_db

LISTS = ["/api/v1/conversations/", "/api/v1/channels/", "/api/v1/threads/", "/api/v1/users/"]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", " 1", "١"])
def test_a_page_that_is_not_a_whole_number_from_1_is_a_400_naming_it(auth_client, url, page):
    response = auth_client.get(url, {"page": page})
    # (each was a 404 "Invalid page.", as if the list had no such page)
    assert response.status_code == 400, response.content
    assert response.json() == {
        "error": {
            "code": "invalid",
            "detail": "A page number is a whole number from 1.",
            "fields": {"page": ["A page number is a whole number from 1."]},
        }
    }


def test_pages_from_the_first_to_the_last_are_served_and_past_it_none(auth_client, user):
    for number in range(21):
        make_conversation(user, title=f"Group {number}")
    assert [
        auth_client.get("/api/v1/conversations/", {"page": page}).status_code
        for page in ("", "1", "2", "last", "02")
    ] == [200] * 5
    past = auth_client.get("/api/v1/conversations/", {"page": "3"})
    assert past.status_code == 404
    assert past.json() == {"error": {"code": "not_found", "detail": "No such page.", "fields": {}}}
    assert auth_client.get("/api/v1/conversations/", {"page": "9" * 30}).status_code == 404


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("page", ["9" * 4301, "1" + "0" * 10_000])
def test_a_page_number_of_thousands_of_digits_is_past_the_last_not_a_500(auth_client, url, page):
    # Python's int() refuses strings of more than 4300 digits (ValueError): it was a 500
    response = auth_client.get(url, {"page": page})
    assert response.status_code == 404, response.content
    assert response.json()["error"] == {"code": "not_found", "detail": "No such page.", "fields": {}}
    assert auth_client.get(url, {"page": "0" * 5_000}).status_code == 400


def test_the_schema_says_pages_start_at_1(api_client):
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for url in LISTS:
        (page,) = [p for p in schema["paths"][url]["get"]["parameters"] if p["name"] == "page"]
        assert page["schema"] == {"type": "integer", "minimum": 1}
