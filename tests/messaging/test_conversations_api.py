"""The conversations REST API: listing, creating, membership, channels, read markers, and the 404 wall."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from messaging import selectors
from messaging.models import Conversation, Membership, Message, Reaction
from tests.accounts.factories import UserFactory
from tests.files.factories import StoredFileFactory
from tests.messaging.factories import make_conversation, store_message

pytestmark = pytest.mark.django_db

CONVERSATIONS_URL = "/api/v1/conversations/"
CHANNELS_URL = "/api/v1/channels/"
LONG_CONVERSATION = 3000
NOT_FOUND = {"error": {"code": "not_found", "detail": "No such conversation.", "fields": {}}}


def conversation_url(conversation_id: int, suffix: str = "") -> str:
    return f"{CONVERSATIONS_URL}{conversation_id}/{suffix}"


# --- the list


def test_the_list_holds_only_my_conversations_by_last_activity_with_unread_counts(as_user, ada, bob, cy, eve):
    # given
    make_conversation(ada, bob, cy, title="Quiet")
    busy = make_conversation(bob, ada, title="Busy")
    make_conversation(bob, eve, title="Not mine")
    store_message(busy, bob, 1, "one")
    store_message(busy, bob, 2, "two")
    store_message(busy, ada, 3, "mine")
    Membership.objects.filter(user=ada, conversation=busy).update(last_read_seq=1)
    # when
    response = as_user(ada).get(CONVERSATIONS_URL)
    # then
    assert response.status_code == 200
    results = response.json()["results"]
    assert [c["title"] for c in results] == ["Busy", "Quiet"]
    busy_row, quiet_row = results
    assert busy_row["unread_count"] == 1  # bob's "two"; my own message is never unread
    assert busy_row["last_message"]["body"] == "mine"
    assert busy_row["role"] == "member"
    assert quiet_row["unread_count"] == 0
    assert quiet_row["last_message"] is None
    assert quiet_row["role"] == "owner"
    assert quiet_row["member_count"] == 3
    assert [m["username"] for m in quiet_row["members"]] == ["ada", "bob", "cy"]
    assert "email" not in quiet_row["members"][0]


def test_the_list_counts_every_member_not_just_me(as_user, ada, bob, cy):
    make_conversation(ada, bob, cy, kind="channel", title="General")
    row = as_user(ada).get(CONVERSATIONS_URL).json()["results"][0]
    assert row["member_count"] == 3
    assert row["members"] == []  # channels give only their count


def test_the_list_query_count_does_not_grow_with_conversations(as_user, ada, django_assert_num_queries):
    # given: several conversations, each with members, a last message with a reaction and an attachment
    for n in range(5):
        others = UserFactory.create_batch(3)
        conversation = make_conversation(ada, *others, title=f"Group {n}")
        message = store_message(conversation, others[0], 1, f"hello {n}")
        message.attachments.add(StoredFileFactory(owner=others[0]))
        Reaction.objects.create(message=message, user=ada, emoji="👍")
    make_conversation(ada, UserFactory(), kind="direct")
    # then: count, conversations, members, last messages, their attachments and their reactions
    with django_assert_num_queries(6):
        response = as_user(ada).get(CONVERSATIONS_URL)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 6
    assert all(r["last_message"]["attachments"] for r in response.json()["results"] if r["kind"] == "group")


def test_the_list_reads_each_conversations_newest_message_however_long_the_conversation(ada, bob):
    """Opening the app lists the conversations: its time must not grow with their history (a sort of every
    message of every listed conversation took 550 ms for two of 200,000 messages)."""
    # given a long conversation whose newest message is a reply in a thread
    group = _long_conversation(ada, bob)
    root = Message.objects.get(conversation=group, seq=LONG_CONVERSATION)
    store_message(group, ada, LONG_CONVERSATION + 1, "in the thread", thread_root=root)
    _analyze_messages()
    # when the list reads the last messages
    rows = list(selectors.conversation_list_for_user(user=ada))
    with CaptureQueriesContext(connection) as queries:
        last = selectors.last_messages(rows)
    # then it is the newest message of the main timeline, found without reading the others
    assert last[group.pk].seq == LONG_CONVERSATION
    assert _message_rows_read(queries.captured_queries[0]["sql"]) <= 5


def test_a_conversations_messages_are_found_through_its_seq_index_alone():
    """With a second index on the conversation alone, PostgreSQL could count a conversation's unread messages
    (seq > the reader's marker, a value it learns only while running) through that one, reading the whole
    conversation: a conversation list with two of 100,000 messages took 127 ms, 50 ms without it
    (docs/benchmarks.md). Which index the planner takes depends on its statistics, so the schema is tested."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "messaging_message")
    by_conversation = [  # indexes, and the unique constraints' own
        name
        for name, c in constraints.items()
        if (c["index"] or c["unique"]) and c["columns"][:1] == ["conversation_id"]
    ]
    assert by_conversation == ["one_seq_per_conversation"]


def _long_conversation(ada: User, bob: User) -> Conversation:
    group = make_conversation(ada, bob)
    now = timezone.now()
    Message.objects.bulk_create(
        Message(conversation=group, sender=bob, seq=seq, body="x", client_id=uuid.uuid4(), created_at=now)
        for seq in range(1, LONG_CONVERSATION + 1)
    )
    Conversation.objects.filter(pk=group.pk).update(last_seq=LONG_CONVERSATION)
    return group


def _analyze_messages() -> None:
    """Statistics, as autovacuum keeps them: the planner's choice is what is tested."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE messaging_message")


def _message_rows_read(sql: str) -> int:
    """Rows of messaging_message the query's plan read, as PostgreSQL ran it (EXPLAIN ANALYZE): those it
    passed on, and those it read only to filter out."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        (plan,) = cursor.fetchone()[0]

    def read(node: dict) -> int:
        own = 0
        if node.get("Relation Name") == "messaging_message":
            per_loop = sum(
                node.get(k, 0)
                for k in ("Actual Rows", "Rows Removed by Filter", "Rows Removed by Index Recheck")
            )
            own = per_loop * node["Actual Loops"]
        return own + sum(read(child) for child in node.get("Plans", []))

    return read(plan["Plan"])


def test_the_list_needs_authentication(api_client):
    response = api_client.get(CONVERSATIONS_URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_message_stored_while_the_list_was_read_is_left_to_sync_not_lost_from_the_unread_count(ada, bob):
    # given Ada has read everything in a group
    group = make_conversation(bob, ada, title="Launch")
    store_message(group, bob, 1, "read already")
    Membership.objects.filter(user=ada, conversation=group).update(last_read_seq=1)

    # when a message is stored between the list's query (counts) and the one for last messages
    rows = list(selectors.conversation_list_for_user(user=ada))
    store_message(group, bob, 2, "news")
    last = selectors.last_messages(rows)

    # then the row and its last message agree: unread 0 as of seq 1, so that the sync from last_seq (1)
    # counts "news" as new. Had the last message been "news", the client would count it nowhere.
    (row,) = rows
    assert (row.last_seq, row.unread_count) == (1, 0)
    assert last[group.pk].body == "read already"


# --- creating


def test_creating_a_group_makes_me_its_owner_and_adds_the_members(as_user, ada, bob, cy):
    # when
    response = as_user(ada).post(
        CONVERSATIONS_URL, {"kind": "group", "title": " Launch ", "members": [bob.pk, cy.pk]}, format="json"
    )
    # then
    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "Launch"
    assert body["role"] == "owner"
    assert {m["username"] for m in body["members"]} == {"ada", "bob", "cy"}
    bobs_list = as_user(bob).get(CONVERSATIONS_URL).json()["results"]
    assert [(c["id"], c["role"]) for c in bobs_list] == [(body["id"], "member")]


def test_a_direct_conversation_is_unique_per_pair(as_user, ada, bob):
    # given
    first = as_user(ada).post(CONVERSATIONS_URL, {"kind": "direct", "members": [bob.pk]}, format="json")
    # when: asked for again, by either side
    again = as_user(ada).post(CONVERSATIONS_URL, {"kind": "direct", "members": [bob.pk]}, format="json")
    reverse = as_user(bob).post(CONVERSATIONS_URL, {"kind": "direct", "members": [ada.pk]}, format="json")
    # then
    assert first.status_code == 201
    assert (again.status_code, reverse.status_code) == (200, 200)
    assert first.json()["id"] == again.json()["id"] == reverse.json()["id"]
    assert first.json()["title"] == ""
    assert Conversation.objects.filter(kind="direct").count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "direct", "members": []}, "members"),
        ({"kind": "direct", "members": ["me"]}, "members"),
        ({"kind": "direct", "members": ["bob", "cy"]}, "members"),
        ({"kind": "direct", "members": ["bob"], "title": "Us"}, "members"),
        ({"kind": "direct", "members": [10**9]}, "members"),
        ({"kind": "group", "members": ["bob"]}, "title"),
        ({"kind": "group", "members": ["bob"], "title": "   "}, "title"),
        ({"kind": "group", "members": ["bob"], "title": "x" * 101}, "title"),
        ({"kind": "group", "members": ["bob"], "title": "Open", "is_public": True}, "is_public"),
        ({"kind": "group", "members": [10**9], "title": "Ghosts"}, "members"),
        ({"kind": "group", "members": "bob", "title": "Team"}, "members"),
        ({"kind": "forum", "members": ["bob"], "title": "Team"}, "kind"),
    ],
)
def test_invalid_conversations_are_refused_and_nothing_is_created(as_user, ada, bob, cy, payload, field):
    # given
    ids = {"me": ada.pk, "bob": bob.pk, "cy": cy.pk}
    if isinstance(payload["members"], list):
        payload = {**payload, "members": [ids.get(m, m) for m in payload["members"]]}
    # when
    response = as_user(ada).post(CONVERSATIONS_URL, payload, format="json")
    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert field in response.json()["error"]["fields"]
    assert not Conversation.objects.exists()


def test_a_deactivated_user_cannot_be_added(as_user, ada):
    gone = UserFactory(is_active=False)
    response = as_user(ada).post(CONVERSATIONS_URL, {"kind": "direct", "members": [gone.pk]}, format="json")
    assert response.status_code == 400
    assert not Conversation.objects.exists()


# --- detail and settings


def test_a_member_sees_the_conversation(as_user, bob, team):
    response = as_user(bob).get(conversation_url(team.pk))
    assert response.status_code == 200
    assert response.json()["title"] == "Team"
    assert response.json()["member_count"] == 2


def test_the_owner_renames(as_user, ada, bob, team):
    response = as_user(ada).patch(conversation_url(team.pk), {"title": "Core team"}, format="json")
    assert response.status_code == 200
    assert as_user(bob).get(conversation_url(team.pk)).json()["title"] == "Core team"


def test_an_admin_renames(as_user, bob, team):
    Membership.objects.filter(user=bob, conversation=team).update(role="admin")
    response = as_user(bob).patch(conversation_url(team.pk), {"title": "Admins rule"}, format="json")
    assert response.status_code == 200
    assert response.json()["title"] == "Admins rule"


def test_a_plain_member_cannot_rename(as_user, bob, team):
    response = as_user(bob).patch(conversation_url(team.pk), {"title": "Mine now"}, format="json")
    assert response.status_code == 403
    team.refresh_from_db()
    assert team.title == "Team"


@pytest.mark.parametrize("title", ["", "   ", "x" * 101])
def test_bad_titles_are_refused(as_user, ada, team, title):
    response = as_user(ada).patch(conversation_url(team.pk), {"title": title}, format="json")
    assert response.status_code == 400
    team.refresh_from_db()
    assert team.title == "Team"


def test_a_direct_conversation_cannot_be_renamed(as_user, ada, bob):
    direct = make_conversation(ada, bob, kind="direct")
    response = as_user(ada).patch(conversation_url(direct.pk), {"title": "Us"}, format="json")
    assert response.status_code == 400
    direct.refresh_from_db()
    assert direct.title == ""


def test_muting_is_my_own_setting(as_user, ada, bob, team):
    # when: a plain member mutes
    response = as_user(bob).patch(conversation_url(team.pk), {"muted": True}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["muted"] is True
    assert as_user(ada).get(conversation_url(team.pk)).json()["muted"] is False
    assert as_user(bob).get(CONVERSATIONS_URL).json()["results"][0]["muted"] is True


# --- members


def test_the_owner_adds_a_member_who_then_sees_the_conversation(as_user, ada, cy, team):
    response = as_user(ada).post(conversation_url(team.pk, "members/"), {"user": cy.pk}, format="json")
    assert response.status_code == 201
    assert response.json()["member_count"] == 3
    assert as_user(cy).get(conversation_url(team.pk)).status_code == 200


def test_adding_someone_already_in_it_is_a_200_and_tells_nobody(as_user, ada, bob, team):
    # given
    before = team.events.count()
    # when
    response = as_user(ada).post(conversation_url(team.pk, "members/"), {"user": bob.pk}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["member_count"] == 2
    assert team.events.count() == before


def test_a_plain_member_cannot_add_members(as_user, bob, cy, team):
    response = as_user(bob).post(conversation_url(team.pk, "members/"), {"user": cy.pk}, format="json")
    assert response.status_code == 403
    assert as_user(cy).get(conversation_url(team.pk)).status_code == 404


def test_adding_an_unknown_user_is_refused_on_the_user_field(as_user, ada, team):
    response = as_user(ada).post(conversation_url(team.pk, "members/"), {"user": 10**9}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["user"]
    assert team.memberships.count() == 2


def test_nobody_joins_a_direct_conversation(as_user, ada, bob, cy):
    direct = make_conversation(ada, bob, kind="direct")
    response = as_user(ada).post(conversation_url(direct.pk, "members/"), {"user": cy.pk}, format="json")
    assert response.status_code == 400
    assert direct.memberships.count() == 2


def test_the_owner_removes_a_member_who_then_gets_404(as_user, ada, bob, team):
    response = as_user(ada).delete(conversation_url(team.pk, f"members/{bob.pk}/"))
    assert response.status_code == 204
    assert as_user(bob).get(conversation_url(team.pk)).status_code == 404
    assert as_user(bob).get(CONVERSATIONS_URL).json()["results"] == []


def test_a_plain_member_cannot_remove_others(as_user, ada, bob, cy, team):
    Membership.objects.create(user=cy, conversation=team)
    response = as_user(bob).delete(conversation_url(team.pk, f"members/{cy.pk}/"))
    assert response.status_code == 403
    assert team.memberships.count() == 3


def test_an_admin_cannot_remove_the_owner(as_user, ada, bob, team):
    Membership.objects.filter(user=bob, conversation=team).update(role="admin")
    response = as_user(bob).delete(conversation_url(team.pk, f"members/{ada.pk}/"))
    assert response.status_code == 403
    assert team.memberships.filter(user=ada).exists()


@pytest.mark.parametrize("who", ["eve", "nobody"])
def test_removing_someone_who_is_not_a_member_is_a_404_no_such_member(as_user, ada, eve, team, who):
    # It was a 400 "Not a member.": an object that is not there is a 404 in this API (docs/api.md)
    user_id = eve.pk if who == "eve" else 10**9
    response = as_user(ada).delete(conversation_url(team.pk, f"members/{user_id}/"))
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "detail": "No such member.", "fields": {}}}
    assert team.memberships.count() == 2


def test_a_plain_member_removing_someone_who_is_not_a_member_is_still_a_403(as_user, bob, eve, team):
    response = as_user(bob).delete(conversation_url(team.pk, f"members/{eve.pk}/"))
    assert response.status_code == 403


def test_removing_from_a_conversation_i_am_not_in_stays_no_such_conversation(as_user, ada, eve, team):
    response = as_user(eve).delete(conversation_url(team.pk, f"members/{ada.pk}/"))
    assert response.status_code == 404
    assert response.json()["error"]["detail"] == "No such conversation."
    assert team.memberships.count() == 2


def test_a_member_leaves(as_user, bob, team):
    response = as_user(bob).post(conversation_url(team.pk, "leave/"))
    assert response.status_code == 204
    assert as_user(bob).get(conversation_url(team.pk)).status_code == 404


def test_when_the_last_owner_leaves_the_longest_standing_admin_takes_over(as_user, ada, bob, cy, team):
    Membership.objects.create(user=cy, conversation=team, role="admin")  # joined after bob
    assert as_user(ada).post(conversation_url(team.pk, "leave/")).status_code == 204
    assert as_user(cy).get(conversation_url(team.pk)).json()["role"] == "owner"
    assert as_user(bob).get(conversation_url(team.pk)).json()["role"] == "member"
    # the new owner can manage: remove bob
    assert as_user(cy).delete(conversation_url(team.pk, f"members/{bob.pk}/")).status_code == 204


def test_without_admins_the_longest_standing_member_takes_over(as_user, ada, bob, cy, team):
    Membership.objects.create(user=cy, conversation=team)
    assert as_user(ada).post(conversation_url(team.pk, "leave/")).status_code == 204
    assert as_user(bob).get(conversation_url(team.pk)).json()["role"] == "owner"
    assert as_user(cy).get(conversation_url(team.pk)).json()["role"] == "member"


def test_an_owner_leaving_beside_another_owner_hands_nothing_over(as_user, ada, bob, cy, team):
    Membership.objects.create(user=cy, conversation=team, role="owner")
    assert as_user(ada).post(conversation_url(team.pk, "leave/")).status_code == 204
    assert as_user(bob).get(conversation_url(team.pk)).json()["role"] == "member"


def test_nobody_leaves_a_direct_conversation(as_user, ada, bob):
    direct = make_conversation(ada, bob, kind="direct")
    response = as_user(ada).post(conversation_url(direct.pk, "leave/"))
    assert response.status_code == 400
    assert direct.memberships.count() == 2


# --- channels


def test_anyone_can_browse_search_and_join_public_channels(as_user, ada, eve):
    # given
    general = make_conversation(ada, kind="channel", title="General", is_public=True)
    make_conversation(ada, kind="channel", title="Random", is_public=True)
    make_conversation(ada, kind="channel", title="Secret plans")
    make_conversation(ada, title="General group")
    # when
    browsed = as_user(eve).get(CHANNELS_URL).json()["results"]
    searched = as_user(eve).get(CHANNELS_URL, {"search": "gener"}).json()["results"]
    joined = as_user(eve).post(conversation_url(general.pk, "join/"))
    # then
    assert [c["title"] for c in browsed] == ["General", "Random"]
    assert searched == [{"id": general.pk, "title": "General", "member_count": 1, "is_member": False}]
    assert joined.status_code == 200
    assert joined.json()["role"] == "member"
    assert as_user(eve).get(CHANNELS_URL, {"search": "general"}).json()["results"][0]["is_member"] is True


def test_a_channel_everyone_left_is_owned_by_whoever_joins_it_next(as_user, ada, bob, eve):
    # given: ada made a public channel and, its only member, left it
    general = make_conversation(ada, kind="channel", title="General", is_public=True)
    assert as_user(ada).post(conversation_url(general.pk, "leave/")).status_code == 204
    # when: eve, then bob, join it
    first = as_user(eve).post(conversation_url(general.pk, "join/"))
    second = as_user(bob).post(conversation_url(general.pk, "join/"))
    # then: eve can manage it (it had nobody who could), bob is a member
    assert (first.json()["role"], second.json()["role"]) == ("owner", "member")
    renamed = as_user(eve).patch(conversation_url(general.pk), {"title": "Lobby"}, format="json")
    assert renamed.status_code == 200


def test_joining_twice_changes_nothing(as_user, ada, eve):
    general = make_conversation(ada, kind="channel", title="General", is_public=True)
    as_user(eve).post(conversation_url(general.pk, "join/"))
    again = as_user(eve).post(conversation_url(general.pk, "join/"))
    assert again.status_code == 200
    assert general.memberships.count() == 2


def test_private_channels_and_groups_cannot_be_joined(as_user, ada, eve):
    private = make_conversation(ada, kind="channel", title="Secret plans")
    group = make_conversation(ada, title="Group")
    for conversation in (private, group):
        response = as_user(eve).post(conversation_url(conversation.pk, "join/"))
        assert response.status_code == 404
        assert response.json() == NOT_FOUND
        assert not conversation.memberships.filter(user=eve).exists()


def test_a_private_channel_is_joined_by_invitation(as_user, ada, eve):
    private = make_conversation(ada, kind="channel", title="Secret plans")
    response = as_user(ada).post(conversation_url(private.pk, "members/"), {"user": eve.pk}, format="json")
    assert response.status_code == 201
    assert as_user(eve).get(conversation_url(private.pk)).status_code == 200


def test_creating_a_public_channel(as_user, ada, eve):
    response = as_user(ada).post(
        CONVERSATIONS_URL,
        {"kind": "channel", "title": "Town hall", "members": [], "is_public": True},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["is_public"] is True
    assert [c["title"] for c in as_user(eve).get(CHANNELS_URL).json()["results"]] == ["Town hall"]


def test_browsing_channels_is_a_fixed_number_of_queries(as_user, ada, eve, django_assert_num_queries):
    for n in range(5):
        make_conversation(ada, *UserFactory.create_batch(2), kind="channel", title=f"c{n}", is_public=True)
    with django_assert_num_queries(2):
        results = as_user(eve).get(CHANNELS_URL).json()["results"]
    assert [c["member_count"] for c in results] == [3] * 5


def test_channel_search_text_is_length_limited(as_user, eve):
    response = as_user(eve).get(CHANNELS_URL, {"search": "x" * 65})
    assert response.status_code == 400
    assert "search" in response.json()["error"]["fields"]


# --- read markers


def test_marking_read_clears_the_unread_count_and_never_moves_back(as_user, ada, bob, team):
    # given
    for seq in (1, 2, 3):
        store_message(team, ada, seq)
    # when
    response = as_user(bob).post(conversation_url(team.pk, "read/"), {"seq": 3}, format="json")
    back = as_user(bob).post(conversation_url(team.pk, "read/"), {"seq": 1}, format="json")
    # then
    assert (response.status_code, back.status_code) == (204, 204)
    row = as_user(bob).get(conversation_url(team.pk)).json()
    assert (row["unread_count"], row["last_read_seq"]) == (0, 3)


@pytest.mark.parametrize("seq", [2, 4], ids=["in a gap", "past the newest"])
def test_a_read_marker_must_name_an_event_of_the_conversation(as_user, ada, bob, team, seq):
    # given messages at seqs 1 and 3 (seq 2 was given up)
    store_message(team, ada, 1)
    store_message(team, ada, 3)
    # when
    response = as_user(bob).post(conversation_url(team.pk, "read/"), {"seq": seq}, format="json")
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"seq": ["No event of the conversation has this seq."]}
    assert Membership.objects.get(user=bob, conversation=team).last_read_seq == 0


def test_a_read_marker_must_be_a_seq(as_user, bob, team):
    response = as_user(bob).post(conversation_url(team.pk, "read/"), {"seq": -1}, format="json")
    assert response.status_code == 400
    assert Membership.objects.get(user=bob, conversation=team).last_read_seq == 0


def test_deleted_messages_are_not_unread(as_user, ada, bob, team):
    store_message(team, ada, 1)
    store_message(team, ada, 2, deleted_at=timezone.now())
    assert as_user(bob).get(conversation_url(team.pk)).json()["unread_count"] == 1


# --- the 404 wall


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("get", "", None),
        ("patch", "", {"muted": True}),
        ("post", "members/", {"user": "eve"}),
        ("delete", "members/bob/", None),
        ("post", "leave/", None),
        ("post", "join/", None),
        ("post", "read/", {"seq": 1}),
        ("get", "messages/", None),
        ("post", "messages/", {"body": "hi", "client_id": "2b1d1c9e-4a57-4c43-9df4-7d1d2f4f0e1a"}),
    ],
)
def test_a_conversation_i_am_not_in_answers_404_like_one_that_does_not_exist(
    as_user, eve, bob, team, method, suffix, payload
):
    # given
    ids = {"eve": eve.pk, "bob": bob.pk}
    suffix = suffix.replace("bob", str(bob.pk))
    payload = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in (payload or {}).items()}
    client = as_user(eve)
    # when
    forbidden = getattr(client, method)(conversation_url(team.pk, suffix), payload, format="json")
    missing = getattr(client, method)(conversation_url(10**9, suffix), payload, format="json")
    # then
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()
    assert team.memberships.count() == 2
    assert not Membership.objects.filter(user=eve).exists()
    team.refresh_from_db()
    assert team.title == "Team"


# --- finding members (what the message box offers after an @; a channel's payload lists none)


def test_a_channel_member_finds_members_by_name_and_nobody_outside_it(as_user, ada, bob, cy, eve):
    # given a public channel of Ada, Bob and Cy (Bob known as "Robert"), and Eve outside it
    User.objects.filter(pk=bob.pk).update(display_name="Robert")
    channel = make_conversation(ada, bob, cy, kind="channel", title="news", is_public=True)

    # when Ada looks for members by part of a name
    found = as_user(ada).get(conversation_url(channel.pk, "members/"), {"search": "ROB"})
    everyone = as_user(ada).get(conversation_url(channel.pk, "members/"))

    # then she finds Bob by his display name, and all three members (never Eve) without a search, by
    # username, as people are shown: no email
    assert found.status_code == 200
    assert [user["username"] for user in found.json()] == ["bob"]
    assert set(found.json()[0]) == {"id", "username", "display_name", "avatar_url", "role"}
    assert [user["username"] for user in everyone.json()] == ["ada", "bob", "cy"]
    # and the channel's own payload still lists nobody (why this exists)
    assert as_user(ada).get(conversation_url(channel.pk)).json()["members"] == []


def test_finding_members_of_a_conversation_i_am_not_in_is_a_404_and_a_long_search_a_400(
    as_user, ada, eve, team
):
    outside = as_user(eve).get(conversation_url(team.pk, "members/"), {"search": "a"})
    too_long = as_user(ada).get(conversation_url(team.pk, "members/"), {"search": "a" * 65})
    assert outside.status_code == 404
    assert outside.json() == NOT_FOUND
    assert too_long.status_code == 400
    assert "search" in too_long.json()["error"]["fields"]
