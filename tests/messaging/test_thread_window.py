"""Opening a thread at one of its replies (a search hit, a mention): GET messages/{root}/thread/?around=
<seq> is a page of its replies around that one, with has_more (older) and has_more_newer, behind the
thread's gate."""

import pytest
from django.utils import timezone

from messaging.models import Message
from messaging.selectors import NO_SUCH_REPLY
from tests.messaging.factories import make_conversation, store_message

pytestmark = pytest.mark.django_db


def thread_url(root) -> str:
    return f"/api/v1/messages/{root.pk}/thread/"


@pytest.fixture
def busy_thread(ada, bob, team):
    """The root (seq 1), then 70 replies interleaved with the main timeline: reply n has seq 2n + 1, and
    every other seq is a message of the main timeline (seq 2n)."""
    root = store_message(team, ada, 1, "root")
    for n in range(1, 71):
        store_message(team, ada, 2 * n, f"m{n}")
        store_message(team, bob, 2 * n + 1, f"reply {n}", thread_root=root)
    return root


def window(client, root, **params) -> tuple[list[str], bool, bool]:
    response = client.get(thread_url(root), params)
    assert response.status_code == 200, response.content
    page = response.json()
    assert page["root"]["id"] == str(root.pk)
    return [m["body"] for m in page["results"]], page["has_more"], page["has_more_newer"]


def replies(*numbers: int) -> list[str]:
    return [f"reply {n}" for n in numbers]


def test_a_thread_opens_around_one_of_its_replies(as_user, ada, busy_thread):
    client = as_user(ada)
    fifth = 2 * 5 + 1
    # the 5th of 70: the four before it, it and the rest after, newest first; older ones none, newer ones many
    assert window(client, busy_thread, around=fifth, limit=10) == (replies(*range(9, 0, -1)), False, True)
    # in the middle: half before, it and the rest after
    middle = window(client, busy_thread, around=2 * 30 + 1, limit=10)
    assert middle == (replies(*range(34, 24, -1)), True, True)
    # near the newest: nothing newer
    newest = window(client, busy_thread, around=2 * 69 + 1, limit=10)
    assert newest == (replies(*range(70, 63, -1)), True, False)
    # the default page is 50: the four before the 5th, it and the 24 after it
    assert window(client, busy_thread, around=fifth) == (replies(*range(29, 0, -1)), False, True)


def test_the_pages_around_a_reply_join_the_thread_s_own_pages(as_user, ada, busy_thread):
    """Paging on from the window with before_seq and after_seq gives every reply once, in order."""
    client = as_user(ada)
    first, _, has_newer = window(client, busy_thread, around=2 * 20 + 1, limit=10)
    assert first == replies(*range(24, 14, -1))
    newer = client.get(thread_url(busy_thread), {"after_seq": 2 * 24 + 1, "limit": 50}).json()
    older = client.get(thread_url(busy_thread), {"before_seq": 2 * 15 + 1, "limit": 50}).json()
    assert [m["body"] for m in newer["results"]] == replies(*range(25, 71))
    assert [m["body"] for m in older["results"]] == replies(*range(14, 0, -1))
    assert (has_newer, newer["has_more"], older["has_more"]) == (True, False, False)


def test_a_deleted_reply_still_opens_its_thread_where_it_was(as_user, ada, busy_thread):
    Message.objects.filter(seq=11, thread_root=busy_thread).update(deleted_at=timezone.now())
    response = as_user(ada).get(thread_url(busy_thread), {"around": 11, "limit": 3})
    assert response.status_code == 200
    shown = [(m["seq"], m["deleted"]) for m in response.json()["results"]]
    assert shown == [(13, False), (11, True), (9, False)]


def test_a_seq_that_is_not_a_reply_of_this_thread_is_404(as_user, ada, bob, team, busy_thread):
    other_root = store_message(team, ada, 200, "another root")
    store_message(team, bob, 201, "a reply elsewhere", thread_root=other_root)
    client = as_user(ada)
    not_found = {"error": {"code": "not_found", "detail": NO_SUCH_REPLY, "fields": {}}}
    # a reply of another thread, a message of the main timeline, the root itself, a seq nothing has (0 is no
    # seq at all: a 400, below)
    for seq in (201, 2, 1, 999):
        response = client.get(thread_url(busy_thread), {"around": seq})
        assert (response.status_code, response.json()) == (404, not_found), seq
    # a reply of a thread of another conversation, by its seq there: not one of this thread's
    elsewhere = make_conversation(ada, bob, title="Elsewhere")
    far_root = store_message(elsewhere, ada, 1, "far root")
    store_message(elsewhere, bob, 300, "far reply", thread_root=far_root)
    assert client.get(thread_url(busy_thread), {"around": 300}).status_code == 404


def test_around_is_behind_the_thread_s_gate(as_user, ada, bob, eve, busy_thread):
    assert as_user(eve).get(thread_url(busy_thread), {"around": 11}).status_code == 404
    reply = Message.objects.get(thread_root=busy_thread, seq=11)
    # a reply has no thread of its own
    assert as_user(ada).get(f"/api/v1/messages/{reply.pk}/thread/", {"around": 11}).status_code == 404


@pytest.mark.parametrize("around", ["0", "-1"])
def test_an_around_that_is_no_seq_is_the_same_400_in_a_thread_as_in_the_main_timeline(
    as_user, ada, busy_thread, around
):
    # around=0 was a 404 "No such reply in this thread." in a thread and the oldest page in the main timeline
    client = as_user(ada)
    in_thread = client.get(thread_url(busy_thread), {"around": around})
    in_timeline = client.get(
        f"/api/v1/conversations/{busy_thread.conversation_id}/messages/", {"around": around}
    )
    assert in_thread.status_code == in_timeline.status_code == 400, in_thread.content
    assert in_thread.json() == in_timeline.json()
    error = in_thread.json()["error"]
    assert (error["code"], list(error["fields"])) == ("invalid", ["around"])
    assert error["detail"] == "Ensure this value is greater than or equal to 1."


@pytest.mark.parametrize(
    "params",
    [
        {"around": "abc"},
        {"around": "-3"},
        {"around": "0"},
        {"around": "١١"},
        {"around": "11", "before_seq": "20"},
        {"around": "11", "after_seq": "2"},
        {"around": "11", "limit": "0"},
    ],
)
def test_bad_input_is_a_400_in_the_standard_body(as_user, ada, busy_thread, params):
    response = as_user(ada).get(thread_url(busy_thread), params)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["code"], isinstance(error["detail"], str), isinstance(error["fields"], dict)) == (
        "invalid",
        True,
        True,
    )
