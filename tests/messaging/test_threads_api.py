"""Threads over REST: replying in a thread, the root's summary in the main timeline, a thread's history,
following, the thread read marker and the list of followed threads with their unread counts."""

import uuid

import pytest
from rest_framework.test import APIClient

from messaging.delivery.eventlog import initialise_counter
from messaging.models import Conversation, ConversationEvent, Message, ThreadFollow
from messaging.selectors import NO_SUCH_MESSAGE
from messaging.tasks import persist_messages_task
from moderation import services as moderation_services
from tests.accounts.factories import UserFactory
from tests.files.factories import StoredFileFactory
from tests.messaging.factories import make_conversation

# transaction=True: the send path reads storage through database_sync_to_async, which closes a connection
# held inside a test transaction.
pytestmark = pytest.mark.django_db(transaction=True)

THREADS_URL = "/api/v1/threads/"


def thread_url(root_id, suffix: str = "") -> str:
    return f"/api/v1/messages/{root_id}/thread/{suffix}"


@pytest.fixture
def team(ada, bob, cy):
    conversation = make_conversation(ada, bob, cy, title="Team")
    initialise_counter(conversation.pk)
    return conversation


def post(client: APIClient, conversation: Conversation, body: str, **extra) -> dict:
    """Send over REST and store it as the persistence worker would; the sent message."""
    payload = {"body": body, "client_id": str(uuid.uuid4()), **extra}
    response = client.post(f"/api/v1/conversations/{conversation.pk}/messages/", payload, format="json")
    assert response.status_code == 202, response.json()
    message = response.json()
    persist_messages_task.apply(args=([{k: v for k, v in message.items() if k != "reactions"}],)).get()
    return message


def reply(client: APIClient, conversation: Conversation, root: dict, body: str) -> dict:
    return post(client, conversation, body, thread_root=root["id"])


def main_timeline(client: APIClient, conversation: Conversation) -> list[dict]:
    response = client.get(f"/api/v1/conversations/{conversation.pk}/messages/")
    assert response.status_code == 200
    return response.json()["results"]


def followed(client: APIClient) -> list[dict]:
    response = client.get(THREADS_URL)
    assert response.status_code == 200
    return response.json()["results"]


def test_replies_live_in_the_thread_and_the_root_shows_their_summary(as_user, ada, bob, cy, team):
    # given
    root = post(as_user(ada), team, "lunch?")
    # when
    first = reply(as_user(bob), team, root, "yes")
    last = reply(as_user(cy), team, root, "me too")
    # then: the main timeline has the root only, with the thread's summary
    timeline = main_timeline(as_user(ada), team)
    assert [m["body"] for m in timeline] == ["lunch?"]
    assert timeline[0]["thread"] == {
        "reply_count": 2,
        "last_reply_at": last["created_at"],
        "last_reply_seq": last["seq"],
        "participants": [cy.pk, bob.pk],  # the latest replier first
    }
    # and the thread has both replies, oldest first after a cursor
    thread = as_user(bob).get(thread_url(root["id"]), {"after_seq": 0}).json()
    assert thread["root"]["id"] == root["id"]
    assert [(m["body"], m["thread_root"]) for m in thread["results"]] == [
        ("yes", root["id"]),
        ("me too", root["id"]),
    ]
    assert (thread["following"], thread["has_more"]) == (True, False)
    assert first["seq"] < last["seq"]
    # and each stored change of the summary is an event of the conversation, replayed by sync
    events = ConversationEvent.objects.filter(conversation=team, kind="thread.updated").order_by("seq")
    assert [e.seq > first["seq"] for e in events] == [True, True]


def test_a_thread_pages_like_history(as_user, ada, bob, team):
    root = post(as_user(ada), team, "root")
    replies = [reply(as_user(bob), team, root, f"r{n}") for n in range(3)]
    page = as_user(ada).get(thread_url(root["id"]), {"limit": 2}).json()
    assert [m["body"] for m in page["results"]] == ["r2", "r1"]
    assert page["has_more"] is True
    older = as_user(ada).get(thread_url(root["id"]), {"limit": 2, "before_seq": replies[1]["seq"]}).json()
    assert ([m["body"] for m in older["results"]], older["has_more"]) == (["r0"], False)


def test_a_thread_outside_my_conversations_or_of_a_reply_is_404(as_user, ada, bob, eve, team):
    root = post(as_user(ada), team, "root")
    answer = reply(as_user(bob), team, root, "answer")
    assert as_user(eve).get(thread_url(root["id"])).status_code == 404
    assert as_user(ada).get(thread_url(answer["id"])).status_code == 404
    assert as_user(ada).get(thread_url(uuid.uuid4())).status_code == 404
    assert as_user(eve).put(thread_url(root["id"], "follow/")).status_code == 404


def test_replying_to_a_message_of_another_conversation_or_to_a_reply_is_refused(as_user, ada, bob, team):
    root = post(as_user(ada), team, "root")
    answer = reply(as_user(bob), team, root, "answer")
    elsewhere = make_conversation(ada, bob, title="Elsewhere")
    initialise_counter(elsewhere.pk)
    url = f"/api/v1/conversations/{elsewhere.pk}/messages/"
    payload = {"body": "x", "client_id": str(uuid.uuid4()), "thread_root": root["id"]}
    assert as_user(ada).post(url, payload, format="json").status_code == 404
    nested = {"body": "x", "client_id": str(uuid.uuid4()), "thread_root": answer["id"]}
    response = as_user(ada).post(f"/api/v1/conversations/{team.pk}/messages/", nested, format="json")
    assert response.status_code == 400
    assert "thread_root" in response.json()["error"]["fields"]


def test_replying_into_the_thread_of_a_deleted_or_removed_message_is_404(as_user, ada, bob, team):
    deleted = post(as_user(ada), team, "oops")
    assert as_user(ada).delete(f"/api/v1/messages/{deleted['id']}/").status_code == 204
    removed = post(as_user(ada), team, "rude words")
    moderator = UserFactory(username="mod", is_staff=True, is_superuser=True)
    moderation_services.message_remove(
        moderator=moderator, message=Message.objects.get(pk=removed["id"]), reason="rude"
    )
    answers = []
    for root_id in (deleted["id"], removed["id"], str(uuid.uuid4())):
        payload = {"body": "x", "client_id": str(uuid.uuid4()), "thread_root": root_id}
        response = as_user(bob).post(f"/api/v1/conversations/{team.pk}/messages/", payload, format="json")
        answers.append((response.status_code, response.json()["error"]))
    # the same answer as for a message that does not exist
    assert answers == [(404, {"code": "not_found", "detail": NO_SUCH_MESSAGE, "fields": {}})] * 3
    assert not Message.objects.filter(thread_root_id__in=[deleted["id"], removed["id"]]).exists()


def test_participants_follow_and_see_unread_replies_until_they_read_them(as_user, ada, bob, cy, team):
    # given: ada's message, replied to by bob twice
    root = post(as_user(ada), team, "plan")
    reply(as_user(bob), team, root, "step 1")
    newest = reply(as_user(bob), team, root, "step 2")
    # then: ada (the root's sender) follows it with both unread; bob follows it with nothing unread
    [mine] = followed(as_user(ada))
    assert (mine["root"]["id"], mine["unread_count"]) == (root["id"], 2)
    assert mine["root"]["thread"]["reply_count"] == 2
    assert [t["unread_count"] for t in followed(as_user(bob))] == [0]
    assert followed(as_user(cy)) == []  # a member who never took part does not follow it
    # when ada reads it
    read = as_user(ada).post(thread_url(root["id"], "read/"), {"seq": newest["seq"]}, format="json")
    # then
    assert read.status_code == 204
    assert [t["unread_count"] for t in followed(as_user(ada))] == [0]
    # and the conversation's own unread count never counted the replies
    conversation = as_user(ada).get(f"/api/v1/conversations/{team.pk}/").json()
    assert conversation["unread_count"] == 0
    assert conversation["last_message"]["id"] == root["id"]


def test_unfollowing_sticks_even_after_replying_again_and_following_is_explicit(as_user, ada, bob, cy, team):
    root = post(as_user(ada), team, "plan")
    reply(as_user(bob), team, root, "first")
    assert as_user(bob).delete(thread_url(root["id"], "follow/")).status_code == 204
    reply(as_user(bob), team, root, "second")
    assert followed(as_user(bob)) == []
    assert ThreadFollow.objects.get(user=bob, root_id=root["id"]).following is False
    # cy follows without replying, and hears of replies from then on
    assert as_user(cy).put(thread_url(root["id"], "follow/")).status_code == 204
    reply(as_user(ada), team, root, "third")
    assert [t["unread_count"] for t in followed(as_user(cy))] == [3]


def test_reading_a_thread_before_replying_still_follows_it_on_reply(as_user, ada, bob, cy, team):
    root = post(as_user(ada), team, "plan")
    first = reply(as_user(bob), team, root, "first")
    as_user(cy).post(thread_url(root["id"], "read/"), {"seq": first["seq"]}, format="json")
    assert followed(as_user(cy)) == []
    reply(as_user(cy), team, root, "mine")
    assert [t["unread_count"] for t in followed(as_user(cy))] == [0]


def test_a_read_marker_past_the_conversation_is_refused(as_user, ada, team):
    root = post(as_user(ada), team, "plan")
    response = as_user(ada).post(thread_url(root["id"], "read/"), {"seq": 10_000}, format="json")
    assert response.status_code == 400


def test_deleting_a_reply_takes_it_out_of_the_summary(as_user, ada, bob, team):
    root = post(as_user(ada), team, "root")
    reply(as_user(ada), team, root, "keep")
    gone = reply(as_user(bob), team, root, "oops")
    assert as_user(bob).delete(f"/api/v1/messages/{gone['id']}/").status_code == 204
    summary = main_timeline(as_user(ada), team)[0]["thread"]
    assert (summary["reply_count"], summary["participants"]) == (1, [ada.pk])
    assert [t["unread_count"] for t in followed(as_user(ada))] == [0]


def test_storing_the_same_replies_twice_changes_nothing(as_user, ada, bob, team):
    root = post(as_user(ada), team, "root")
    answer = reply(as_user(bob), team, root, "once")
    events_before = ConversationEvent.objects.filter(conversation=team).count()
    persist_messages_task.apply(args=([{k: v for k, v in answer.items() if k != "reactions"}],)).get()
    assert main_timeline(as_user(ada), team)[0]["thread"]["reply_count"] == 1
    assert ConversationEvent.objects.filter(conversation=team).count() == events_before


def test_storing_replies_costs_the_same_queries_for_one_or_many(as_user, ada, bob, cy, team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from messaging import services
    from tests.messaging.factories import acknowledged_payload

    root = post(as_user(ada), team, "root")
    counts = []
    for size, first_seq in ((1, 100), (30, 200)):
        batch = [
            acknowledged_payload(team, bob if n % 2 else cy, seq=first_seq + n, thread_root=root["id"])
            for n in range(size)
        ]
        with CaptureQueriesContext(connection) as queries:
            services.messages_store(messages=batch)
        counts.append(len(queries))
    # the same statements whatever the batch's size (one thread: one summary event)
    assert counts[0] == counts[1], counts
    assert main_timeline(as_user(ada), team)[0]["thread"]["reply_count"] == 31


def test_the_followed_list_is_a_fixed_number_of_queries_whatever_the_roots_carry(
    as_user, ada, bob, team, django_assert_num_queries
):
    # given three threads Ada follows, their roots with attachments and reactions
    for n in range(3):
        root = post(as_user(ada), team, f"plan {n}")
        reply(as_user(bob), team, root, "agreed")
        stored = Message.objects.get(pk=root["id"])
        stored.attachments.add(StoredFileFactory(owner=ada), StoredFileFactory(owner=ada))
        as_user(bob).post(f"/api/v1/messages/{root['id']}/reactions/", {"emoji": "👍"}, format="json")
    # then listing them costs the same four queries as one would: the follows with their roots, the
    # roots' attachments and reactions, the count
    with django_assert_num_queries(4):
        threads = followed(as_user(ada))
    assert [len(t["root"]["attachments"]) for t in threads] == [2, 2, 2]
