"""A bot acts for its owner, so it goes where its owner goes (docs/api.md, "Bots"): it is added to a group or
channel, joins one, or is made a member of a new one only beside its owner. Else its owner would read,
through the bot's tokens, a conversation they are not in. A webhook's bot, made by a member, still joins."""

import pytest

from accounts import services as account_services
from messaging.models import Membership
from messaging.services.webhooks import webhook_create
from tests.messaging.factories import make_conversation

pytestmark = pytest.mark.django_db

CONVERSATIONS_URL = "/api/v1/conversations/"


@pytest.fixture
def eve_bot(eve):
    """A bot of eve's, who is in none of the conversations below."""
    return account_services.bot_create(owner=eve, username="eves-bot")


def refused_because_owner_is_not_a_member(response, bot) -> bool:
    assert response.status_code == 400, response.content
    assert response.json() == {
        "error": {
            "code": "bot_owner_not_member",
            "detail": f"{bot.public_name} is a bot: it can only be in a conversation its owner is in. "
            "Add its owner first.",
            "fields": {},
        }
    }
    return True


def test_an_admin_cannot_add_a_bot_whose_owner_is_not_a_member(as_user, ada, eve_bot, team):
    # when: ada, team's owner, adds eve's bot, eve not being in team
    response = as_user(ada).post(
        f"{CONVERSATIONS_URL}{team.pk}/members/", {"user": eve_bot.pk}, format="json"
    )
    # then: refused, and the bot is not in it (it was: 201, and eve read team through its token)
    assert refused_because_owner_is_not_a_member(response, eve_bot)
    assert not Membership.objects.filter(conversation=team, user=eve_bot).exists()


def test_a_bot_whose_owner_is_a_member_is_added(as_user, ada, eve, eve_bot, team):
    Membership.objects.create(conversation=team, user=eve)
    response = as_user(ada).post(
        f"{CONVERSATIONS_URL}{team.pk}/members/", {"user": eve_bot.pk}, format="json"
    )
    assert response.status_code == 201
    assert Membership.objects.filter(conversation=team, user=eve_bot).exists()


def test_a_bot_cannot_join_a_public_channel_its_owner_is_not_in(as_user, ada, eve, eve_bot):
    general = make_conversation(ada, kind="channel", title="General", is_public=True)
    # when: the bot joins with its own token
    refused = as_user(eve_bot).post(f"{CONVERSATIONS_URL}{general.pk}/join/")
    # then: refused; once eve is in, her bot may follow her
    assert refused_because_owner_is_not_a_member(refused, eve_bot)
    assert not Membership.objects.filter(conversation=general, user=eve_bot).exists()
    assert as_user(eve).post(f"{CONVERSATIONS_URL}{general.pk}/join/").status_code == 200
    assert as_user(eve_bot).post(f"{CONVERSATIONS_URL}{general.pk}/join/").status_code == 200


def test_a_new_group_takes_a_bot_only_beside_its_owner(as_user, ada, bob, eve, eve_bot):
    def create(user, members):
        payload = {"kind": "group", "title": "Ops", "members": [m.pk for m in members]}
        return as_user(user).post(CONVERSATIONS_URL, payload, format="json")

    # a bot among the members without its owner; a bot making a group its owner is not in
    assert refused_because_owner_is_not_a_member(create(ada, [bob, eve_bot]), eve_bot)
    assert refused_because_owner_is_not_a_member(create(eve_bot, [ada]), eve_bot)
    # with its owner, either way
    assert create(ada, [eve, eve_bot]).status_code == 201
    assert create(eve_bot, [eve]).status_code == 201


def test_a_direct_conversation_with_a_bot_is_still_made(as_user, ada, eve_bot):
    response = as_user(ada).post(
        CONVERSATIONS_URL, {"kind": "direct", "members": [eve_bot.pk]}, format="json"
    )
    assert response.status_code == 201


def test_a_webhooks_bot_joins_the_conversation_of_the_admin_who_made_it(ada, bob, team):
    Membership.objects.filter(conversation=team, user=bob).update(role=Membership.Role.ADMIN)
    for maker in (ada, bob):
        webhook, _ = webhook_create(user=maker, conversation_id=team.pk, name=f"CI of {maker.username}")
        assert Membership.objects.filter(conversation=team, user=webhook.bot).exists()
