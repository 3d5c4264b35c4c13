"""Blocking: no new direct conversation between the two, the blocked person cannot add the blocker to a
group, and their direct conversation carries no more messages either way, on sockets already open too."""

import uuid

import pytest
from asgiref.sync import sync_to_async

from messaging.models import Conversation, Message
from messaging.tasks import persist_messages_task
from tests.messaging.conftest import ada, as_user, bob, connect, cy  # noqa: F401
from tests.messaging.factories import make_conversation
from tests.messaging.test_socket_send import send_frame

URL = "/api/v1/blocks/"


def block(as_user, blocker, blocked):  # noqa: F811
    return as_user(blocker).post(URL, {"user": blocked.pk}, format="json")


def direct(as_user, creator, other):  # noqa: F811
    return as_user(creator).post(
        "/api/v1/conversations/", {"kind": "direct", "members": [other.pk]}, format="json"
    )


def post(as_user, sender, conversation_id):  # noqa: F811
    body = {"body": "hello", "client_id": str(uuid.uuid4())}
    return as_user(sender).post(f"/api/v1/conversations/{conversation_id}/messages/", body, format="json")


@pytest.mark.django_db
def test_blocking_is_listed_and_undone(as_user, ada, bob):  # noqa: F811
    assert block(as_user, ada, bob).status_code == 201
    assert block(as_user, ada, bob).status_code == 201  # again: nothing changes
    listed = as_user(ada).get(URL).json()
    assert [entry["user"]["username"] for entry in listed] == [bob.username]
    assert "email" not in listed[0]["user"]
    assert as_user(bob).get(URL).json() == []  # bob is not told

    assert as_user(ada).delete(f"{URL}{bob.pk}/").status_code == 204
    assert as_user(ada).delete(f"{URL}{bob.pk}/").status_code == 404


@pytest.mark.django_db
def test_blocking_oneself_or_nobody_is_refused_clearly(as_user, ada):  # noqa: F811
    myself = block(as_user, ada, ada)
    assert (myself.status_code, myself.json()["error"]["fields"]) == (
        400,
        {"user": ["You cannot block yourself."]},
    )
    nobody = as_user(ada).post(URL, {"user": 999999}, format="json")
    assert nobody.json()["error"]["fields"] == {"user": ["Unknown user."]}


@pytest.mark.django_db
def test_no_direct_conversation_can_be_started_either_way(as_user, ada, bob, cy):  # noqa: F811
    block(as_user, ada, bob)
    for creator, other in ((bob, ada), (ada, bob)):
        refused = direct(as_user, creator, other)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "blocked")
    assert direct(as_user, bob, cy).status_code == 201
    assert not Conversation.objects.filter(direct_key=f"{min(ada.pk, bob.pk)}:{max(ada.pk, bob.pk)}").exists()


@pytest.mark.django_db
def test_the_blocked_person_cannot_add_the_blocker_to_a_group(as_user, ada, bob, cy):  # noqa: F811
    block(as_user, ada, bob)
    group = make_conversation(bob, cy, title="Bob's group")

    added = as_user(bob).post(f"/api/v1/conversations/{group.pk}/members/", {"user": ada.pk}, format="json")
    created = as_user(bob).post(
        "/api/v1/conversations/", {"kind": "group", "title": "New", "members": [ada.pk, cy.pk]}, format="json"
    )

    assert (added.status_code, added.json()["error"]["code"]) == (403, "blocked")
    assert (created.status_code, created.json()["error"]["code"]) == (403, "blocked")
    assert not group.memberships.filter(user=ada).exists()
    # the blocker may still add the person they blocked
    mine = make_conversation(ada, cy, title="Ada's group")
    assert (
        as_user(ada)
        .post(f"/api/v1/conversations/{mine.pk}/members/", {"user": bob.pk}, format="json")
        .status_code
        == 201
    )


@pytest.mark.django_db(transaction=True)
def test_an_existing_direct_conversation_carries_no_more_messages_over_rest(as_user, ada, bob):  # noqa: F811
    conversation_id = direct(as_user, ada, bob).json()["id"]
    assert post(as_user, bob, conversation_id).status_code == 202

    block(as_user, ada, bob)

    for sender in (bob, ada):
        refused = post(as_user, sender, conversation_id)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "blocked")
    as_user(ada).delete(f"{URL}{bob.pk}/")
    assert post(as_user, bob, conversation_id).status_code == 202


@pytest.mark.django_db(transaction=True)
async def test_sockets_already_open_stop_carrying_the_direct_messages_at_once(connect, ada, bob, as_user):  # noqa: F811
    conversation_id = (await sync_to_async(direct)(as_user, ada, bob)).json()["id"]
    conversation = Conversation(pk=conversation_id)
    ada_tab, bob_tab = await connect(ada), await connect(bob)

    # when: ada blocks bob while both have the app open
    await sync_to_async(block)(as_user, ada, bob)

    # then: each socket reloads its blocks (told on every worker), and refuses sends either way
    for tab in (ada_tab, bob_tab):
        assert (await tab.receive_type("account"))["may_post"] is True
    await bob_tab.send(send_frame(conversation))  # checked against the socket's own cache, no query
    assert (await bob_tab.receive_type("error"))["code"] == "blocked"
    await ada_tab.send(send_frame(conversation))
    assert (await ada_tab.receive_type("error"))["code"] == "blocked"
    assert await ada_tab.nothing_more()

    # and after unblocking, messages flow again
    await sync_to_async(as_user(ada).delete)(f"{URL}{bob.pk}/")
    await bob_tab.receive_type("account")
    frame = send_frame(conversation)
    await bob_tab.send(frame)
    assert (await ada_tab.receive_type("message.new", skip=("presence", "account")))["message"][
        "client_id"
    ] == frame["client_id"]


@pytest.mark.django_db(transaction=True)
def test_a_blocked_direct_conversation_takes_no_edit_or_new_reaction_either(as_user, ada, bob):  # noqa: F811
    # given bob's message in their direct conversation, stored, with his reaction on it
    conversation_id = direct(as_user, ada, bob).json()["id"]
    sent = post(as_user, bob, conversation_id).json()
    persist_messages_task.apply(args=([sent],)).get()
    message_url = f"/api/v1/messages/{sent['id']}/"
    assert as_user(bob).post(f"{message_url}reactions/", {"emoji": "👋"}, format="json").status_code == 200

    block(as_user, ada, bob)

    # then neither edits it nor reacts any more (an edit still reached ada), while bob may still take his
    # reaction back and delete his message
    edited = as_user(bob).patch(message_url, {"body": "still here"}, format="json")
    reacted = as_user(ada).post(f"{message_url}reactions/", {"emoji": "👍"}, format="json")
    for refused in (edited, reacted):
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "blocked")
    assert Message.objects.get(pk=sent["id"]).body == "hello"
    assert as_user(bob).delete(f"{message_url}reactions/", {"emoji": "👋"}, format="json").status_code == 204
    assert as_user(bob).delete(message_url).status_code == 204
