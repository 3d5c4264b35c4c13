import pytest

from tests.accounts.factories import UserFactory

ME_URL = "/api/v1/users/me/"
USERS_URL = "/api/v1/users/"

pytestmark = pytest.mark.django_db


def test_me_shows_my_own_email(auth_client, user):
    response = auth_client.get(ME_URL)
    assert response.status_code == 200
    assert response.json()["email"] == user.email
    assert "password" not in response.json()


def test_me_updates_display_name(auth_client, user):
    response = auth_client.patch(ME_URL, {"display_name": "  Ada L.  "}, format="json")
    assert response.status_code == 200
    assert response.json()["display_name"] == "Ada L."
    user.refresh_from_db()
    assert user.display_name == "Ada L."


@pytest.mark.parametrize("body", [{"display_name": "x" * 65}, {"display_name": None}, {}])
def test_me_refuses_bad_display_names(auth_client, user, body):
    before = user.display_name
    response = auth_client.patch(ME_URL, body, format="json")
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.display_name == before


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"email": "new@example.com"}, "email", "POST /api/v1/users/me/email/"),
        ({"username": "ada2", "display_name": "Ada"}, "username", "cannot be changed"),
        ({"avatar": "me.png"}, "avatar", "only display_name"),
    ],
)
def test_me_names_a_field_it_does_not_change(auth_client, user, body, field, says):
    # it answered "display_name: This field is required." to an email change, or ignored the field
    before = (user.email, user.username, user.display_name)
    response = auth_client.patch(ME_URL, body, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert says in response.json()["error"]["fields"][field][0]
    user.refresh_from_db()
    assert (user.email, user.username, user.display_name) == before


def test_me_needs_authentication(api_client):
    response = api_client.get(ME_URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_user_search_finds_by_username_or_display_name_without_emails(auth_client):
    ada = UserFactory(username="ada", display_name="Countess Lovelace")
    UserFactory(username="grace", display_name="Admiral Hopper")
    by_username = auth_client.get(USERS_URL, {"search": "ADA"}).json()
    by_name = auth_client.get(USERS_URL, {"search": "lovelace"}).json()
    assert [u["username"] for u in by_username["results"]] == ["ada"]
    assert by_name["results"] == [
        {"id": ada.id, "username": "ada", "display_name": "Countess Lovelace", "avatar_url": None}
    ]


def test_user_search_treats_patterns_as_plain_text(auth_client):
    UserFactory(username="dot.user")
    UserFactory(username="dotxuser")
    results = auth_client.get(USERS_URL, {"search": "t.u"}).json()["results"]
    assert [u["username"] for u in results] == ["dot.user"]
    assert auth_client.get(USERS_URL, {"search": "%"}).json()["results"] == []


def test_user_search_hides_deactivated_users(auth_client):
    UserFactory(username="gone", is_active=False)
    assert auth_client.get(USERS_URL, {"search": "gone"}).json()["results"] == []


def test_user_search_text_is_length_limited(auth_client):
    response = auth_client.get(USERS_URL, {"search": "a" * 65})
    assert response.status_code == 400
    assert "search" in response.json()["error"]["fields"]


def test_user_search_is_paginated(auth_client, django_assert_max_num_queries):
    UserFactory.create_batch(25)
    with django_assert_max_num_queries(2):
        page = auth_client.get(USERS_URL).json()
    assert page["count"] == 26  # the 25 plus the searcher
    assert len(page["results"]) == 20
    assert page["next"]


def test_user_search_needs_authentication(api_client):
    assert api_client.get(USERS_URL).status_code == 401


def test_users_can_be_fetched_by_id_to_name_them(auth_client, django_assert_max_num_queries):
    # given people, one of them deactivated
    ada, grace = UserFactory(username="ada"), UserFactory(username="grace")
    gone = UserFactory(username="gone", is_active=False)
    UserFactory(username="alan")
    # when the client asks for some of them by id
    with django_assert_max_num_queries(2):
        response = auth_client.get(USERS_URL, {"ids": [grace.id, ada.id, gone.id, 999_999]})
    # then it gets exactly those it may see, without emails
    assert response.status_code == 200
    results = response.json()["results"]
    assert [u["username"] for u in results] == ["ada", "grace"]
    assert all("email" not in u for u in results)


@pytest.mark.parametrize("ids", [["x"], ["0"], [str(n) for n in range(1, 22)]])
def test_users_by_id_refuses_bad_or_too_many_ids(auth_client, ids):
    response = auth_client.get(USERS_URL, {"ids": ids})
    assert response.status_code == 400
    assert "ids" in response.json()["error"]["fields"]
