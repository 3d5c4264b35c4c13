"""Personal API tokens and bots: made and revoked by their owner, shown once, stored hashed, sent as
`Authorization: Bearer <token>`, acting only as their user — over REST and the socket."""

import hashlib

import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken, User
from messaging.delivery.eventlog import initialise_counter
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.messaging.factories import make_conversation

pytestmark = pytest.mark.django_db

TOKENS = "/api/v1/tokens/"
BOTS = "/api/v1/bots/"
ME = "/api/v1/users/me/"


def logged_in(user) -> APIClient:
    """A client with a real JWT from the login endpoint, as the web app has."""
    client = APIClient()
    access = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": DEFAULT_PASSWORD}, format="json"
    ).json()["access"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def owner(db):
    return UserFactory(username="owner")


def test_a_personal_token_is_shown_once_stored_hashed_and_acts_as_its_user(owner):
    # when
    created = logged_in(owner).post(TOKENS, {"name": "ci"}, format="json")
    # then
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith(f"pk_{created.json()['id']}_")
    stored = ApiToken.objects.get()
    assert stored.secret_hash == hashlib.sha256(token.split("_", 2)[2].encode()).hexdigest()
    assert token not in str(ApiToken.objects.values())
    listed = logged_in(owner).get(TOKENS).json()
    assert [t["name"] for t in listed] == ["ci"]
    assert "token" not in listed[0]
    assert bearer(token).get(ME).json()["username"] == "owner"
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_a_token_sees_only_what_its_user_may(owner):
    other, third = UserFactory(), UserFactory()
    private = make_conversation(other, third, title="Not yours")
    token = logged_in(owner).post(TOKENS, {"name": "x"}, format="json").json()["token"]
    assert bearer(token).get(f"/api/v1/conversations/{private.pk}/").status_code == 404


def test_revoked_wrong_and_malformed_tokens_are_refused(owner):
    created = logged_in(owner).post(TOKENS, {"name": "old"}, format="json").json()
    token = created["token"]
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "pk_1_short", "pk_notanid_x"):
        response = bearer(bad).get(ME)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "token_not_valid"
    assert logged_in(owner).delete(f"{TOKENS}{created['id']}/").status_code == 204
    assert bearer(token).get(ME).status_code == 401
    assert logged_in(owner).delete(f"{TOKENS}{created['id']}/").status_code == 404


def test_tokens_and_bots_are_managed_only_from_a_login_session(owner):
    token = logged_in(owner).post(TOKENS, {"name": "x"}, format="json").json()["token"]
    for method, url, body in [
        ("post", TOKENS, {"name": "more"}),
        ("get", TOKENS, None),
        ("post", BOTS, {"username": "b"}),
    ]:
        response = getattr(bearer(token), method)(url, body, format="json")
        assert response.status_code == 403, url
    assert ApiToken.objects.count() == 1


def test_someone_elses_token_cannot_be_revoked(owner):
    created = logged_in(owner).post(TOKENS, {"name": "x"}, format="json").json()
    assert logged_in(UserFactory()).delete(f"{TOKENS}{created['id']}/").status_code == 404
    assert ApiToken.objects.get().revoked_at is None


def test_a_bot_gets_tokens_joins_conversations_and_posts_through_the_rest_send(owner):
    # given: a bot with a token, added to a group by its owner
    client = logged_in(owner)
    bot = client.post(BOTS, {"username": "deploy-bot", "display_name": "Deploys"}, format="json").json()
    token = client.post(f"{BOTS}{bot['id']}/tokens/", {"name": "prod"}, format="json").json()["token"]
    group = make_conversation(owner, UserFactory(), title="Ops")
    initialise_counter(group.pk)
    assert (
        client.post(
            f"/api/v1/conversations/{group.pk}/members/", {"user": bot["id"]}, format="json"
        ).status_code
        == 201
    )
    # when
    sent = bearer(token).post(
        f"/api/v1/conversations/{group.pk}/messages/",
        {"body": "deployed v2", "client_id": "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f"},
        format="json",
    )
    # then
    assert sent.status_code == 202
    assert sent.json()["sender"]["username"] == "deploy-bot"
    assert User.objects.get(pk=bot["id"]).bot_owner == owner
    assert [t["name"] for t in client.get(f"{BOTS}{bot['id']}/tokens/").json()] == ["prod"]


def test_bots_cannot_log_in_and_belong_only_to_their_owner(owner):
    bot = logged_in(owner).post(BOTS, {"username": "helper"}, format="json").json()
    assert User.objects.get(pk=bot["id"]).has_usable_password() is False
    stranger = logged_in(UserFactory())
    assert stranger.post(f"{BOTS}{bot['id']}/tokens/", {"name": "mine"}, format="json").status_code == 404
    assert stranger.get(f"{BOTS}{bot['id']}/").status_code == 404


def test_deactivating_a_bot_revokes_its_tokens(owner):
    client = logged_in(owner)
    bot = client.post(BOTS, {"username": "old-bot"}, format="json").json()
    token = client.post(f"{BOTS}{bot['id']}/tokens/", {"name": "t"}, format="json").json()["token"]
    assert client.delete(f"{BOTS}{bot['id']}/").status_code == 204
    assert bearer(token).get(ME).status_code == 401
    assert client.get(BOTS).json() == []


def test_a_jwt_still_works_beside_api_tokens(owner):
    assert logged_in(owner).get(ME).json()["username"] == "owner"
    assert bearer("not-a-jwt").get(ME).status_code == 401


def test_a_webhook_named_deleted_still_gets_its_bot(owner):
    # a name erasure gives is refused to whoever chooses it, never to a name the system makes
    bot = services.bot_create(
        owner=owner, username=services.bot_username_for(name="Deleted"), for_webhook=True
    )
    assert bot.username.startswith("webhook-bot-")


@pytest.mark.parametrize(
    ("name", "start"),
    [
        # a webhook's name is only its display name: one in any script gets a valid bot, whose username
        # would mix the name's script with the Latin "-bot-…" (refused before, 400 about a username)
        ("Деплой", "webhook-bot-"),
        ("Ήλιος CI", "ci-bot-"),  # the ASCII it has
        ("Build Сборка", "build-bot-"),
        ("Café Déploiement", "cafédéploiement-bot-"),  # Latin, accents and all: kept
        ("部署", "部署-bot-"),  # Han may go with Latin: kept
        ("Ship it", "shipit-bot-"),
        ("🚀", "webhook-bot-"),
    ],
)
def test_a_webhook_s_bot_gets_a_valid_username_whatever_the_name(owner, name, start):
    bot = services.bot_create(
        owner=owner, username=services.bot_username_for(name=name), display_name=name, for_webhook=True
    )
    assert bot.username.startswith(start)
    assert bot.display_name == name
