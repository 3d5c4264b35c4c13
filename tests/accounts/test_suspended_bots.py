"""A bot a moderator suspended, as its owner sees it: still listed, marked suspended, without new tokens until
a moderator reinstates it, and retirable — for good (docs/api.md, Bots)."""

import pytest
from django.core.exceptions import ValidationError

from accounts import services as account_services
from accounts.models import User
from accounts.services.users import BOTS_LIMIT_REACHED
from moderation import services as moderation_services
from tests.accounts.factories import UserFactory
from tests.accounts.test_api_tokens import BOTS, ME, bearer, logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(db):
    return UserFactory(username="mod", is_staff=True, is_superuser=True)


def test_the_owner_sees_a_suspended_bot_cannot_give_it_tokens_and_may_retire_it(moderator):
    # given a bot with a token, which a moderator suspended
    owner = UserFactory(username="owner")
    client = logged_in(owner)
    bot = client.post(BOTS, {"username": "noisy-bot"}, format="json").json()
    token = client.post(f"{BOTS}{bot['id']}/tokens/", {"name": "prod"}, format="json").json()["token"]
    suspended = User.objects.get(pk=bot["id"])
    moderation_services.user_suspend(moderator=moderator, user=suspended, reason="spam")
    # then its owner still finds it, marked suspended
    assert [(b["id"], b["suspended"]) for b in client.get(BOTS).json()] == [(bot["id"], True)]
    assert client.get(f"{BOTS}{bot['id']}/").json()["suspended"] is True
    # and cannot give it a token, told that the bot is suspended (it said "This account is suspended", as if
    # the owner were)
    refused = client.post(f"{BOTS}{bot['id']}/tokens/", {"name": "again"}, format="json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "account_suspended")
    assert refused.json()["error"]["detail"] == (
        "This bot is suspended: it gets no tokens until a moderator reinstates it (you may retire it)."
    )
    # when the owner retires it
    assert client.delete(f"{BOTS}{bot['id']}/").status_code == 204
    # then it is gone from the list, and a moderator's reinstatement does not bring it back
    assert client.get(BOTS).json() == []
    with pytest.raises(ValidationError, match="retired by its owner"):
        moderation_services.user_reinstate(moderator=moderator, user=suspended, reason="appeal")
    assert User.objects.get(pk=bot["id"]).is_active is False
    assert bearer(token).get(ME).status_code == 401  # revoked by the suspension, and so it stays


def test_a_working_bot_is_listed_as_not_suspended():
    client = logged_in(UserFactory(username="owner"))
    bot = client.post(BOTS, {"username": "fine-bot"}, format="json").json()
    assert bot["suspended"] is False
    assert [b["suspended"] for b in client.get(BOTS).json()] == [False]


def test_a_retired_bot_cannot_be_suspended_and_so_never_reinstated_to_life(moderator):
    # given a bot its owner retired
    client = logged_in(UserFactory(username="owner"))
    bot = client.post(BOTS, {"username": "old-bot"}, format="json").json()
    assert client.delete(f"{BOTS}{bot['id']}/").status_code == 204
    retired = User.objects.get(pk=bot["id"])
    # when a moderator suspends it, then reinstates it
    with pytest.raises(ValidationError, match="retired by its owner"):
        moderation_services.user_suspend(moderator=moderator, user=retired, reason="spam")
    with pytest.raises(ValidationError, match="retired by its owner"):
        moderation_services.user_reinstate(moderator=moderator, user=retired, reason="appeal")
    # then it stays retired: inactive, not suspended
    retired.refresh_from_db()
    assert (retired.is_active, retired.is_suspended) == (False, False)


def test_suspended_bots_count_towards_their_owner_s_bots_until_retired(moderator):
    # given an owner with as many bots as a person may own, which a moderator suspended
    owner = UserFactory(username="owner")
    client = logged_in(owner)
    bots = [
        client.post(BOTS, {"username": f"spam-bot-{n}"}, format="json").json()
        for n in range(account_services.BOTS_MAX_PER_OWNER)
    ]
    for bot in User.objects.filter(pk__in=[b["id"] for b in bots]):
        moderation_services.user_suspend(moderator=moderator, user=bot, reason="spam")
    # when the owner makes another bot
    refused = client.post(BOTS, {"username": "fresh-bot"}, format="json")
    # then it is refused, as if they still worked (20 new ones were made before, evading the suspension)
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"username": [BOTS_LIMIT_REACHED]}
    assert "suspended ones" in BOTS_LIMIT_REACHED  # counted, and told so
    # and once they retire one of them, its place is free again
    assert client.delete(f"{BOTS}{bots[0]['id']}/").status_code == 204
    assert client.post(BOTS, {"username": "fresh-bot"}, format="json").status_code == 201
