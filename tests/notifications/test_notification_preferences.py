URL = "/api/v1/users/me/notifications/"


def test_defaults_are_everything_but_channels(auth_client):
    response = auth_client.get(URL)

    assert response.status_code == 200
    assert response.json() == {"direct": "all", "group": "all", "channel": "mentions"}


def test_a_user_changes_one_kind(auth_client):
    response = auth_client.patch(URL, {"group": "none"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"direct": "all", "group": "none", "channel": "mentions"}
    assert auth_client.get(URL).json()["group"] == "none"


def test_unknown_levels_are_refused(auth_client):
    response = auth_client.patch(URL, {"channel": "sometimes"}, format="json")

    assert response.status_code == 400
    assert "channel" in response.json()["error"]["fields"]


def test_anonymous_callers_have_no_preferences(api_client, db):
    assert api_client.get(URL).status_code == 401
