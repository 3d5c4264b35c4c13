"""Look-alike usernames (issue #21, 6): a name is normalised (NFKC, case folded) before it is checked, letters
of two scripts are refused, and a name that looks like a taken one (by the Unicode confusables data) is taken
— for people and for bots. Accounts that already looked alike keep their names and their logins."""

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.security.test_attacks import bearer
from tests.security.test_webhook_membership import _run_migration

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long enough passphrase 42"


def register(username: str):
    body = {"username": username, "email": "someone@example.com", "password": PASSWORD}
    return APIClient().post("/api/v1/auth/register/", body, format="json")


def login(username: str, password: str = DEFAULT_PASSWORD) -> int:
    body = {"username": username, "password": password}
    return APIClient().post("/api/v1/auth/token/", body, format="json").status_code


@pytest.fixture
def alice(transactional_db):
    return UserFactory(username="alice")


@pytest.mark.parametrize(
    "lookalike",
    [
        "Alice",  # case
        "ＡＬＩＣＥ",  # full width
        "ａｌｉｃｅ",
        "\u0430lice",  # a Cyrillic а among Latin letters
        "al\u0456ce",  # a Cyrillic і
        "a1ice",  # a digit that looks like a letter
    ],
)
def test_a_name_that_looks_like_a_taken_one_is_refused(alice, lookalike):
    response = register(lookalike)
    assert response.status_code == 400, response.content
    assert "username" in response.json()["error"]["fields"]
    assert User.objects.count() == 1


def test_a_name_all_in_another_script_that_looks_like_a_taken_one_is_refused(transactional_db):
    UserFactory(username="space")
    response = register("\u0455\u0440\u0430\u0441\u0435")  # ѕрасе: every letter Cyrillic
    assert response.status_code == 400, response.content
    assert register("\u0441\u0430\u0448\u0430").status_code == 201  # саша looks like no one here


@pytest.mark.parametrize("name", ["\u0430dmin", "pаypal", "gооgle"], ids=["cyrillic-a", "mixed-1", "mixed-2"])
def test_letters_of_two_scripts_are_refused_even_when_nobody_has_the_name(name):
    response = register(name)
    assert response.status_code == 400
    assert "username" in response.json()["error"]["fields"]


@pytest.mark.parametrize("name", ["alice_2", "Саша", "田中さん", "Ζωή", "straße", "jörg"])
def test_names_in_one_script_are_welcome(alice, name):
    assert register(name).status_code == 201


def test_bots_follow_the_same_rules(alice):
    client = bearer(alice)
    for name in ("ALICE", "\u0430lice", "a1ice"):
        response = client.post("/api/v1/bots/", {"username": name}, format="json")
        assert response.status_code == 400, (name, response.content)
    assert client.post("/api/v1/bots/", {"username": "alice-bot"}, format="json").status_code == 201
    assert register("ALICE-BOT").status_code == 400


def test_login_finds_the_account_however_its_name_is_written(alice):
    for spelling in ("alice", "Alice", " ALICE ", "ａｌｉｃｅ"):
        assert login(spelling) == 200, spelling
    assert login("alice", password="wrong") == login("nobody", password="wrong") == 401


def test_accounts_that_already_looked_alike_keep_their_names_and_logins(alice):
    # given: accounts registered before the check, looking like alice (written around it, as they were then)
    legacy = [UserFactory(username=f"legacy{n}") for n in range(2)]
    User.objects.filter(pk=legacy[0].pk).update(username="ALICE", username_key="before-0")
    User.objects.filter(pk=legacy[1].pk).update(username="\u0430lice", username_key="before-1")
    User.objects.filter(pk=alice.pk).update(username_key="before-alice")

    # when: the migration gives every account its key
    _run_migration("accounts", "0010_username_key")

    # then: each still logs in by its exact name, the oldest keeps the look, and nobody new can take it
    assert login("alice") == login("ALICE") == login("\u0430lice") == 200
    assert {user.username_key for user in User.objects.all()} == {
        "alice",
        f"alice#{legacy[0].pk}",
        f"alice#{legacy[1].pk}",
    }
    assert register("Alice").status_code == 400
    legacy_user = User.objects.get(pk=legacy[0].pk)
    legacy_user.display_name = "Still me"
    legacy_user.save()  # an unrelated change keeps the grandfathered key
    assert User.objects.get(pk=legacy[0].pk).username_key == f"alice#{legacy[0].pk}"
