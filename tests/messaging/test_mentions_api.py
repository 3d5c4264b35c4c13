"""Mentions over REST (issue #25): what a message says it mentions, who may use @all and @here, the unread
mention count, the Mentions list and its privacy, and the per-conversation notification level."""

import uuid

import pytest
from rest_framework.test import APIClient

from messaging.delivery.eventlog import initialise_counter
from messaging.models import Conversation, Membership, Mention, Message
from messaging.tasks import persist_messages_task
from realtime.presence import presence_store
from tests.messaging.factories import make_conversation

pytestmark = pytest.mark.django_db

MENTIONS_URL = "/api/v1/mentions/"


def conversation_url(conversation_id: int) -> str:
    return f"/api/v1/conversations/{conversation_id}/"


def send(client: APIClient, conversation: Conversation, body: str) -> dict:
    """Send over REST and store it as the persistence worker would; the sent message."""
    response = client.post(
        f"{conversation_url(conversation.pk)}messages/",
        {"body": body, "client_id": str(uuid.uuid4())},
        format="json",
    )
    assert response.status_code == 202, response.content
    message = response.json()
    persist_messages_task.apply(args=([{k: v for k, v in message.items() if k != "reactions"}],)).get()
    return message


def mentioned(message: dict) -> set[int]:
    return set(Mention.objects.filter(message_id=message["id"]).values_list("user_id", flat=True))


@pytest.fixture
def team(ada, bob, cy):
    """A group: ada (owner), bob and cy."""
    conversation = make_conversation(ada, bob, cy, title="Team")
    initialise_counter(conversation.pk)
    return conversation


@pytest.fixture
def channel(as_user, ada, bob, cy):
    """A channel created through the API, as its owner ada would: only admins may use @all there."""
    response = as_user(ada).post(
        "/api/v1/conversations/",
        {"kind": "channel", "title": "General", "members": [bob.pk, cy.pk]},
        format="json",
    )
    assert response.status_code == 201
    initialise_counter(response.json()["id"])  # done on commit, which this test's transaction never reaches
    return Conversation.objects.get(pk=response.json()["id"])


def test_a_message_names_the_members_it_mentions_and_they_see_it_unread(as_user, ada, bob, cy, eve, team):
    # when: ada mentions bob, cy (with a sentence's full stop) and eve, who is not a member
    message = send(as_user(ada), team, "@bob and @Cy. please look; cc @eve")

    # then: the one message shape says whom, in the send's answer and in history
    assert (message["mentions"], message["mentions_here"], message["mentions_all"]) == (
        sorted([bob.pk, cy.pk]),
        False,
        False,
    )
    [stored] = as_user(bob).get(f"{conversation_url(team.pk)}messages/").json()["results"]
    assert stored["mentions"] == sorted([bob.pk, cy.pk])
    assert mentioned(message) == {bob.pk, cy.pk}
    # and bob has one unread mention, ada (the sender) none
    assert as_user(bob).get(conversation_url(team.pk)).json()["unread_mentions"] == 1
    assert as_user(ada).get(conversation_url(team.pk)).json()["unread_mentions"] == 0
    # until bob reads it
    as_user(bob).post(f"{conversation_url(team.pk)}read/", {"seq": message["seq"]}, format="json")
    assert as_user(bob).get(conversation_url(team.pk)).json()["unread_mentions"] == 0


def test_the_mentions_list_is_newest_first_with_where_to_jump(as_user, ada, bob, cy, team):
    first = send(as_user(ada), team, "@bob one")
    send(as_user(ada), team, "nobody")
    second = send(as_user(cy), team, "@bob two")

    page = as_user(bob).get(MENTIONS_URL, {"limit": 1}).json()
    [hit] = page["results"]
    assert hit["message"]["id"] == second["id"]
    assert (hit["conversation"]["id"], hit["message"]["seq"]) == (team.pk, second["seq"])
    rest = as_user(bob).get(MENTIONS_URL, {"limit": 1, "cursor": page["next_cursor"]}).json()
    assert [h["message"]["id"] for h in rest["results"]] == [first["id"]]
    assert rest["next_cursor"] is None
    # the seq opens the conversation at the message
    around = as_user(bob).get(f"{conversation_url(team.pk)}messages/", {"around": first["seq"]}).json()
    assert first["id"] in [m["id"] for m in around["results"]]


def test_the_mentions_list_never_shows_a_deleted_message_nor_a_conversation_left(
    as_user, ada, bob, eve, team
):
    deleted = send(as_user(ada), team, "@bob secret")
    kept = send(as_user(ada), team, "@bob still here")
    assert as_user(ada).delete(f"/api/v1/messages/{deleted['id']}/").status_code == 204

    assert [h["message"]["id"] for h in as_user(bob).get(MENTIONS_URL).json()["results"]] == [kept["id"]]
    assert as_user(bob).get(conversation_url(team.pk)).json()["unread_mentions"] == 1
    # a non-member never sees anyone's mentions
    assert as_user(eve).get(MENTIONS_URL).json()["results"] == []
    # and once bob leaves, neither does he
    assert as_user(bob).post(f"{conversation_url(team.pk)}leave/").status_code == 204
    assert as_user(bob).get(MENTIONS_URL).json()["results"] == []


def test_a_bad_cursor_or_limit_is_a_400(as_user, bob):
    for params in ({"cursor": "nope"}, {"limit": 0}, {"limit": 101}):
        response = as_user(bob).get(MENTIONS_URL, params)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid"


def test_all_mentions_every_member_but_the_sender(as_user, ada, bob, cy, team):
    message = send(as_user(bob), team, "standup in 5 @all")

    assert (message["mentions_all"], message["mentions"]) == (True, [])
    assert mentioned(message) == {ada.pk, cy.pk}


def test_here_mentions_the_members_present_when_it_is_stored(as_user, ada, bob, cy, team):
    # given: bob has a page open and looking; cy a page open but hidden; nobody else
    store = presence_store()
    store.connect(bob.pk, "bob-tab")
    store.connect(cy.pk, "cy-tab")
    store.set_looking(cy.pk, "cy-tab", False)
    try:
        message = send(as_user(ada), team, "@here who can review?")
    finally:
        store.disconnect(bob.pk, "bob-tab")
        store.disconnect(cy.pk, "cy-tab")

    assert message["mentions_here"] is True
    assert mentioned(message) == {bob.pk}


def test_in_a_channel_only_admins_may_use_all_and_here_unless_the_owner_allows_everyone(
    as_user, ada, bob, channel
):
    # given: a new channel starts with all_mention_policy "admins"
    assert as_user(bob).get(conversation_url(channel.pk)).json()["all_mention_policy"] == "admins"

    # when: a plain member uses @all, or @here
    for body in ("@all lunch?", "@HERE lunch?"):
        response = as_user(bob).post(
            f"{conversation_url(channel.pk)}messages/",
            {"body": body, "client_id": str(uuid.uuid4())},
            format="json",
        )
        # then: refused, and nothing was sent
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "mention_not_allowed"
    assert not Message.objects.filter(conversation=channel).exists()
    assert as_user(bob).get(conversation_url(channel.pk)).json()["last_seq"] == channel.last_seq
    # a member cannot change the policy; the owner can, and then bob may
    refused = as_user(bob).patch(
        conversation_url(channel.pk), {"all_mention_policy": "anyone"}, format="json"
    )
    assert refused.status_code == 403
    allowed = as_user(ada).patch(
        conversation_url(channel.pk), {"all_mention_policy": "anyone"}, format="json"
    )
    assert allowed.json()["all_mention_policy"] == "anyone"
    assert send(as_user(bob), channel, "@all lunch?")["mentions_all"] is True


def test_an_edit_cannot_sneak_in_a_refused_all(as_user, ada, bob, channel):
    message = send(as_user(bob), channel, "hello")

    response = as_user(bob).patch(f"/api/v1/messages/{message['id']}/", {"body": "hello @all"}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "mention_not_allowed"
    assert Message.objects.get(pk=message["id"]).body == "hello"


def test_an_edit_mentions_whom_it_now_names(as_user, ada, bob, cy, team):
    message = send(as_user(ada), team, "@bob look")

    edited = (
        as_user(ada).patch(f"/api/v1/messages/{message['id']}/", {"body": "@cy look"}, format="json").json()
    )

    assert edited["mentions"] == [cy.pk]
    assert mentioned(message) == {cy.pk}
    assert as_user(bob).get(conversation_url(team.pk)).json()["unread_mentions"] == 0


def test_in_a_direct_conversation_all_and_here_are_plain_words(as_user, ada, bob):
    direct = make_conversation(ada, bob, kind="direct")
    initialise_counter(direct.pk)

    message = send(as_user(ada), direct, "@all of it, @bob")

    assert (message["mentions_all"], message["mentions_here"], message["mentions"]) == (
        False,
        False,
        [bob.pk],
    )


# --- the per-conversation notification level


def test_each_member_sets_their_own_notification_level(as_user, ada, bob, team):
    assert as_user(bob).get(conversation_url(team.pk)).json()["notification_level"] == "default"

    response = as_user(bob).patch(
        conversation_url(team.pk), {"notification_level": "mentions"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["notification_level"], response.json()["muted"]) == ("mentions", False)
    assert as_user(ada).get(conversation_url(team.pk)).json()["notification_level"] == "default"
    bad = as_user(bob).patch(conversation_url(team.pk), {"notification_level": "loud"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"].keys() == {"notification_level"}


def test_muted_is_level_none_under_its_older_name(as_user, bob, team):
    muted = as_user(bob).patch(conversation_url(team.pk), {"muted": True}, format="json").json()
    assert (muted["muted"], muted["notification_level"]) == (True, "none")

    unmuted = as_user(bob).patch(conversation_url(team.pk), {"muted": False}, format="json").json()
    assert (unmuted["muted"], unmuted["notification_level"]) == (False, "default")

    # unmuting leaves a level other than none alone; the level wins over muted in one request
    as_user(bob).patch(conversation_url(team.pk), {"notification_level": "all"}, format="json")
    assert (
        as_user(bob)
        .patch(conversation_url(team.pk), {"muted": False}, format="json")
        .json()["notification_level"]
        == "all"
    )
    both = as_user(bob).patch(
        conversation_url(team.pk), {"muted": True, "notification_level": "mentions"}, format="json"
    )
    assert both.json()["notification_level"] == "mentions"
    assert Membership.objects.get(user=bob, conversation=team).notification_level == "mentions"


def test_resolving_costs_a_send_no_query_without_an_at_and_one_with(
    ada, bob, team, django_assert_num_queries
):
    from messaging.selectors import mentions_resolve

    with django_assert_num_queries(0):
        assert (
            mentions_resolve(sender_id=ada.pk, conversation_id=team.pk, body="mail ada@example.com")[
                "mentions"
            ]
            == []
        )
    with django_assert_num_queries(1):
        assert mentions_resolve(sender_id=ada.pk, conversation_id=team.pk, body="@bob @all")["mentions"] == [
            bob.pk
        ]
