"""The messages REST API: history, sending, editing, deleting, reactions and search."""

import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from core.redis import get_redis
from messaging.delivery.eventlog import initialise_counter
from messaging.models import Conversation, Membership, Message, Reaction
from messaging.tasks import persist_messages_task
from tests.files.factories import StoredFileFactory
from tests.messaging.factories import make_conversation, store_message

pytestmark = pytest.mark.django_db

SEARCH_URL = "/api/v1/search/messages/"


def messages_url(conversation_id: int) -> str:
    return f"/api/v1/conversations/{conversation_id}/messages/"


def message_url(message_id, suffix: str = "") -> str:
    return f"/api/v1/messages/{message_id}/{suffix}"


def persist(message: dict) -> None:
    """What the persistence worker does with a sent message."""
    persist_messages_task.apply(args=([message],)).get()


def history(client: APIClient, conversation: Conversation, **params) -> dict:
    response = client.get(messages_url(conversation.pk), params)
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def team(ada, bob, cy):
    """ada (owner), bob and cy, with the seq counter initialised as creating it through the API does."""
    conversation = make_conversation(ada, bob, cy, title="Team")
    initialise_counter(conversation.pk)
    return conversation


@pytest.fixture
def stored(team, ada, bob):
    """Five stored messages in the team: seqs 1..5, alternating ada and bob."""
    return [store_message(team, ada if seq % 2 else bob, seq, f"m{seq}") for seq in range(1, 6)]


# --- history


def test_history_is_newest_first_and_pages_backwards(as_user, bob, team, stored):
    # when
    first = history(as_user(bob), team, limit=2)
    second = history(as_user(bob), team, limit=2, before_seq=first["results"][-1]["seq"])
    last = history(as_user(bob), team, limit=2, before_seq=second["results"][-1]["seq"])
    # then
    assert [m["seq"] for m in first["results"]] == [5, 4]
    assert [m["seq"] for m in second["results"]] == [3, 2]
    assert [m["seq"] for m in last["results"]] == [1]
    assert (first["has_more"], second["has_more"], last["has_more"]) == (True, True, False)
    assert first["results"][0]["body"] == "m5"
    assert first["results"][0]["sender"]["username"] == "ada"


def test_history_after_a_seq_is_oldest_first(as_user, bob, team, stored):
    page = history(as_user(bob), team, after_seq=2, limit=2)
    assert [m["seq"] for m in page["results"]] == [3, 4]
    assert page["has_more"] is True


@pytest.mark.parametrize("params", [{"limit": 101}, {"limit": 0}, {"before_seq": -1}, {"after_seq": "x"}])
def test_history_refuses_bad_paging(as_user, bob, team, params):
    response = as_user(bob).get(messages_url(team.pk), params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_history_limit_goes_up_to_100(as_user, ada, bob, team):
    Message.objects.bulk_create(
        [
            Message(
                conversation=team,
                sender=ada,
                seq=seq,
                body="x",
                client_id=uuid.uuid4(),
                created_at=timezone.now(),
            )
            for seq in range(1, 121)
        ]
    )
    page = history(as_user(bob), team, limit=100)
    assert len(page["results"]) == 100
    assert page["has_more"] is True


def test_history_with_reactions_and_attachments_is_a_fixed_number_of_queries(
    as_user, ada, bob, cy, team, stored, django_assert_num_queries
):
    # given
    for message in stored:
        message.attachments.add(
            StoredFileFactory(owner=message.sender), StoredFileFactory(owner=message.sender)
        )
        Reaction.objects.create(message=message, user=bob, emoji="👍")
        Reaction.objects.create(message=message, user=cy, emoji="👍")
        Reaction.objects.create(message=message, user=cy, emoji="🎉")
    # then: membership, messages (with senders), attachments, reactions
    with django_assert_num_queries(4):
        page = history(as_user(bob), team)
    newest = page["results"][0]
    assert len(newest["attachments"]) == 2
    assert newest["reactions"] == [
        {"emoji": "👍", "count": 2, "users": [bob.pk, cy.pk]},
        {"emoji": "🎉", "count": 1, "users": [cy.pk]},
    ]


# --- sending


def send(client: APIClient, conversation: Conversation, body: str = "hello", client_id=None, **extra):
    payload = {"body": body, "client_id": str(client_id or uuid.uuid4()), **extra}
    return client.post(messages_url(conversation.pk), payload, format="json")


def test_sending_answers_202_with_the_message_which_is_then_stored(as_user, ada, bob, team):
    # when
    response = send(as_user(ada), team, "hello **team**")
    # then
    assert response.status_code == 202
    message = response.json()
    assert message["body"] == "hello **team**"
    assert message["seq"] == 1
    assert message["sender"] == {"id": ada.pk, "username": "ada", "display_name": ada.display_name}
    assert message["deleted"] is False
    persist(message)
    assert history(as_user(bob), team)["results"] == [{**message, "reactions": []}]


def test_sending_the_same_client_id_again_returns_the_same_message(as_user, ada, bob, team):
    # given
    client_id = uuid.uuid4()
    first = send(as_user(ada), team, "once", client_id)
    # when: the answer was lost and the client retries, before and after the message is stored
    before_storage = send(as_user(ada), team, "once", client_id)
    persist(first.json())
    after_storage = send(as_user(ada), team, "once", client_id)
    # then
    assert first.status_code == before_storage.status_code == after_storage.status_code == 202
    assert before_storage.json() == first.json()
    assert after_storage.json()["id"] == first.json()["id"]
    assert [m["body"] for m in history(as_user(bob), team)["results"]] == ["once"]
    assert send(as_user(ada), team, "next").json()["seq"] == 2


def test_the_same_client_id_still_returns_the_same_message_once_redis_forgot_it(as_user, ada, bob, team):
    # given: a stored message, then Redis restarted empty (or the idempotency key expired)
    client_id = uuid.uuid4()
    first = send(as_user(ada), team, "once", client_id).json()
    persist(first)
    get_redis().flushdb()
    # when
    again = send(as_user(ada), team, "once", client_id)
    # then: not a second message
    assert again.status_code == 202
    assert again.json()["id"] == first["id"]
    assert again.json()["seq"] == first["seq"]
    persist(again.json())
    assert Message.objects.filter(conversation=team).count() == 1


@pytest.mark.parametrize("stored", [False, True], ids=["journal", "storage"])
def test_a_client_id_sent_into_another_conversation_answers_nothing_of_the_first(
    as_user, ada, bob, team, stored
):
    # given Ada's message in the team, reacted to by Bob, and Ada then removed from the team
    client_id = uuid.uuid4()
    first = send(as_user(ada), team, "in the team", client_id).json()
    if stored:
        persist(first)
        Reaction.objects.create(message_id=first["id"], user=bob, emoji="👍")
    Membership.objects.filter(conversation=team, user=ada).delete()
    side = make_conversation(ada, bob, kind="direct")
    initialise_counter(side.pk)
    # when she posts into another conversation with the same client_id
    reused = send(as_user(ada), side, "anything", client_id)
    # then it is refused, naming nothing of the team's message (it answered with it, as it is now)
    assert reused.status_code == 400
    assert reused.json()["error"]["code"] == "invalid"
    assert "in the team" not in reused.text
    assert not Message.objects.filter(conversation=side).exists()


def test_a_retry_after_the_message_was_deleted_does_not_bring_its_body_back(as_user, ada, team):
    client_id = uuid.uuid4()
    first = send(as_user(ada), team, "oops, a password", client_id).json()
    persist(first)
    as_user(ada).delete(message_url(first["id"]))
    again = send(as_user(ada), team, "oops, a password", client_id).json()
    assert again["id"] == first["id"]
    assert again["body"] == ""
    assert again["deleted"] is True


# Attachments are loaded through database_sync_to_async, which closes the request's connection: that needs
# real transactions rather than the test's wrapping one.
@pytest.mark.django_db(transaction=True)
def test_a_reply_and_my_own_attachments_travel_with_the_message(as_user, ada, bob, team):
    # given
    question = send(as_user(bob), team, "where is the report?").json()
    persist(question)
    report = StoredFileFactory(owner=ada, name="report.pdf")
    # when
    response = send(as_user(ada), team, "here", reply_to=question["id"], attachments=[str(report.id)])
    # then
    assert response.status_code == 202
    assert [a["name"] for a in response.json()["attachments"]] == ["report.pdf"]
    persist(response.json())
    newest = history(as_user(bob), team)["results"][0]
    assert (newest["body"], newest["reply_to"]) == ("here", question["id"])
    assert [a["name"] for a in newest["attachments"]] == ["report.pdf"]


@pytest.mark.django_db(transaction=True)  # the reply's parent is looked up as attachments are
def test_a_reply_to_a_message_of_another_conversation_is_not_found_and_not_sent(as_user, ada, bob, eve, team):
    # given a message of a conversation Bob is not in
    private = make_conversation(ada, eve, kind="direct")
    initialise_counter(private.pk)
    secret = send(as_user(ada), private, "just between us").json()
    persist(secret)
    # when Bob replies to it in the team (it was sent, naming the message to the team's members)
    response = send(as_user(bob), team, "re: that", reply_to=secret["id"])
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert history(as_user(ada), team)["results"] == []


@pytest.mark.django_db(transaction=True)  # attachments: as above
def test_attachments_stay_in_the_order_they_were_attached(as_user, ada, bob, team):
    # given ten files uploaded in one order
    files = [StoredFileFactory(owner=ada, name=f"page-{n}.png") for n in range(10)]
    attached = [files[n] for n in (3, 9, 0, 7, 1, 8, 2, 6, 4, 5)]
    # when Ada attaches them in another, and the message is stored
    response = send(as_user(ada), team, "the scans", attachments=[str(f.id) for f in attached])
    persist(response.json())
    # then everyone sees them in the order attached, as the live message had them: in the history, the
    # message as a thread's root and in the threads Ada follows (they came in the database's order)
    order = [f.name for f in attached]
    assert [a["name"] for a in response.json()["attachments"]] == order
    shown = history(as_user(bob), team)["results"][0]
    assert [a["name"] for a in shown["attachments"]] == order
    persist(send(as_user(bob), team, "got them", thread_root=shown["id"]).json())
    thread = as_user(bob).get(message_url(shown["id"], "thread/")).json()
    assert [a["name"] for a in thread["root"]["attachments"]] == order
    [followed] = as_user(ada).get("/api/v1/threads/").json()["results"]
    assert [a["name"] for a in followed["root"]["attachments"]] == order


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "   \n "}, "body"),
        (
            {"body": "\u200b\u2060 \u200d"},
            "body",
        ),  # zero-width characters only: an empty bubble (it was sent)
        ({"body": "x" * 10_001}, "body"),
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"client_id": None}, "client_id"),
        ({"reply_to": "nope"}, "reply_to"),
        ({"attachments": "all"}, "attachments"),
    ],
)
def test_bad_sends_are_refused_and_nothing_is_sent(as_user, ada, bob, team, payload, field):
    # when
    body = {"body": "hello", "client_id": str(uuid.uuid4()), **payload}
    response = as_user(ada).post(messages_url(team.pk), body, format="json")
    # then
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert send(as_user(ada), team, "the first message").json()["seq"] == 1  # no seq was used up


@pytest.mark.django_db(transaction=True)
def test_someone_elses_files_cannot_be_attached(as_user, ada, bob, team):
    bobs_file = StoredFileFactory(owner=bob)
    still_uploading = StoredFileFactory(owner=ada, status="pending")
    for file in (bobs_file, still_uploading, type("Missing", (), {"id": uuid.uuid4()})):
        response = send(as_user(ada), team, "mine now", attachments=[str(file.id)])
        assert response.status_code == 400
        assert "attachments" in response.json()["error"]["fields"]
    assert send(as_user(ada), team).json()["seq"] == 1


def test_too_many_attachments_are_refused(as_user, ada, team):
    files = [str(StoredFileFactory(owner=ada).id) for _ in range(11)]
    response = send(as_user(ada), team, attachments=files)
    assert response.status_code == 400
    assert "attachments" in response.json()["error"]["fields"]


def test_a_non_member_cannot_send(as_user, eve, team):
    response = send(as_user(eve), team, "let me in")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert send(as_user(team.memberships.first().user), team).json()["seq"] == 1


# --- editing


def test_the_sender_edits_and_everyone_sees_the_new_body(as_user, ada, bob, team, stored):
    # when
    response = as_user(ada).patch(message_url(stored[0].id), {"body": "m1, fixed"}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["body"] == "m1, fixed"
    assert response.json()["edited_at"] is not None
    oldest = history(as_user(bob), team)["results"][-1]
    assert (oldest["body"], oldest["edited_at"]) == ("m1, fixed", response.json()["edited_at"])


def test_only_the_sender_edits(as_user, ada, team, stored):
    bobs = stored[1]
    response = as_user(ada).patch(message_url(bobs.id), {"body": "owner words"}, format="json")
    assert response.status_code == 403
    bobs.refresh_from_db()
    assert (bobs.body, bobs.edited_at) == ("m2", None)


@pytest.mark.parametrize("body", ["", "   ", "\u200b", "x" * 10_001])
def test_an_edit_needs_a_body(as_user, ada, stored, body):
    response = as_user(ada).patch(message_url(stored[0].id), {"body": body}, format="json")
    assert response.status_code == 400
    stored[0].refresh_from_db()
    assert stored[0].body == "m1"


def test_a_deleted_message_cannot_be_edited(as_user, ada, stored):
    as_user(ada).delete(message_url(stored[0].id))
    response = as_user(ada).patch(message_url(stored[0].id), {"body": "back"}, format="json")
    assert response.status_code == 400
    stored[0].refresh_from_db()
    assert stored[0].body == ""


# --- deleting


def test_the_sender_deletes_and_the_body_is_gone_from_every_later_read(as_user, ada, bob, team, stored):
    # given
    newest = stored[-1]
    newest.attachments.add(StoredFileFactory(owner=ada))
    Reaction.objects.create(message=newest, user=bob, emoji="👍")
    # when
    response = as_user(ada).delete(message_url(newest.id))
    # then
    assert response.status_code == 204
    shown = history(as_user(bob), team)["results"][0]
    assert (shown["id"], shown["body"], shown["deleted"]) == (str(newest.id), "", True)
    assert (shown["attachments"], shown["reactions"]) == ([], [])
    listed = as_user(bob).get("/api/v1/conversations/").json()["results"][0]["last_message"]
    assert (listed["body"], listed["deleted"]) == ("", True)
    assert as_user(bob).get(SEARCH_URL, {"q": "m5"}).json()["results"] == []
    newest.refresh_from_db()
    assert newest.body == ""


def test_the_owner_deletes_someone_elses_message(as_user, ada, stored):
    response = as_user(ada).delete(message_url(stored[1].id))
    assert response.status_code == 204
    stored[1].refresh_from_db()
    assert stored[1].is_deleted


def test_a_plain_member_cannot_delete_someone_elses_message(as_user, cy, stored):
    response = as_user(cy).delete(message_url(stored[0].id))
    assert response.status_code == 403
    stored[0].refresh_from_db()
    assert (stored[0].body, stored[0].deleted_at) == ("m1", None)


def test_deleting_twice_is_harmless(as_user, ada, stored):
    assert as_user(ada).delete(message_url(stored[0].id)).status_code == 204
    assert as_user(ada).delete(message_url(stored[0].id)).status_code == 204


# --- reactions


def test_reacting_shows_a_summary_and_reacting_twice_counts_once(as_user, bob, cy, stored):
    # when
    as_user(bob).post(message_url(stored[0].id, "reactions/"), {"emoji": "👍"}, format="json")
    as_user(bob).post(message_url(stored[0].id, "reactions/"), {"emoji": "👍"}, format="json")
    response = as_user(cy).post(message_url(stored[0].id, "reactions/"), {"emoji": "👍"}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["reactions"] == [{"emoji": "👍", "count": 2, "users": [bob.pk, cy.pk]}]


def test_removing_a_reaction_as_the_schema_says_or_with_a_body(as_user, bob, team, stored):
    for emoji in ("👍", "🎉"):
        as_user(bob).post(message_url(stored[0].id, "reactions/"), {"emoji": emoji}, format="json")
    # the emoji in the query, as the schema documents it (it had no parameter: a generated client could not)
    by_query = as_user(bob).delete(message_url(stored[0].id, "reactions/") + "?emoji=%F0%9F%91%8D")
    assert by_query.status_code == 204
    assert [r["emoji"] for r in history(as_user(bob), team)["results"][-1]["reactions"]] == ["🎉"]
    # and in a JSON body, for clients that send one
    by_body = as_user(bob).delete(message_url(stored[0].id, "reactions/"), {"emoji": "🎉"}, format="json")
    assert by_body.status_code == 204
    assert history(as_user(bob), team)["results"][-1]["reactions"] == []


@pytest.mark.parametrize("emoji", ["", "   ", "x" * 33, "two words"])
def test_bad_emoji_are_refused(as_user, bob, stored, emoji):
    response = as_user(bob).post(message_url(stored[0].id, "reactions/"), {"emoji": emoji}, format="json")
    assert response.status_code == 400
    assert not Reaction.objects.exists()


def test_a_deleted_message_takes_no_reactions(as_user, ada, bob, stored):
    as_user(ada).delete(message_url(stored[0].id))
    response = as_user(bob).post(message_url(stored[0].id, "reactions/"), {"emoji": "👍"}, format="json")
    assert response.status_code == 400
    assert not Reaction.objects.exists()


# --- the 404 wall


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("patch", "", {"body": "mine"}),
        ("delete", "", None),
        ("post", "reactions/", {"emoji": "👍"}),
        ("delete", "reactions/", {"emoji": "👍"}),
    ],
)
def test_a_message_outside_my_conversations_answers_404_like_one_that_does_not_exist(
    as_user, ada, eve, stored, method, suffix, payload
):
    # given
    target = stored[0]
    Reaction.objects.create(message=target, user=ada, emoji="👍")
    client = as_user(eve)
    # when
    forbidden = getattr(client, method)(message_url(target.id, suffix), payload, format="json")
    missing = getattr(client, method)(message_url(uuid.uuid4(), suffix), payload, format="json")
    # then
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()
    target.refresh_from_db()
    assert (target.body, target.deleted_at, target.reactions.count()) == ("m1", None, 1)


def test_a_removed_member_loses_the_history(as_user, ada, bob, team, stored):
    as_user(ada).delete(f"/api/v1/conversations/{team.pk}/members/{bob.pk}/")
    assert as_user(bob).get(messages_url(team.pk)).status_code == 404
    assert as_user(bob).delete(message_url(stored[1].id)).status_code == 404


# --- the API description


MESSAGING_PATHS = [
    "/api/v1/conversations/",
    "/api/v1/conversations/{conversation_id}/",
    "/api/v1/conversations/{conversation_id}/members/",
    "/api/v1/conversations/{conversation_id}/members/{user_id}/",
    "/api/v1/conversations/{conversation_id}/join/",
    "/api/v1/conversations/{conversation_id}/leave/",
    "/api/v1/conversations/{conversation_id}/read/",
    "/api/v1/conversations/{conversation_id}/messages/",
    "/api/v1/channels/",
    "/api/v1/messages/{message_id}/",
    "/api/v1/messages/{message_id}/reactions/",
    "/api/v1/search/messages/",
]


def test_every_messaging_path_is_in_the_openapi_schema(api_client):
    response = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert [path for path in MESSAGING_PATHS if path not in paths] == []
    assert "202" in paths["/api/v1/conversations/{conversation_id}/messages/"]["post"]["responses"]


def test_the_whole_schema_generates_without_warnings():
    """`manage.py spectacular --validate --fail-on-warn`: raises on any warning or invalid schema."""
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=out)
    assert "/api/v1/search/messages/" in out.getvalue()


def test_the_messaging_schema_generates_without_warnings():
    """`manage.py spectacular --validate --fail-on-warn` over the messaging API (raises on any warning)."""
    out = StringIO()
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--urlconf",
        "tests.messaging.schema_urls",
        stdout=out,
        stderr=out,
    )
    assert "/api/v1/conversations/" in out.getvalue()


def test_the_unread_count_comes_from_stored_messages(as_user, ada, bob, team):
    persist(send(as_user(ada), team, "are you there?").json())
    Membership.objects.filter(user=bob).update(last_read_seq=0)
    assert as_user(bob).get("/api/v1/conversations/").json()["results"][0]["unread_count"] == 1
