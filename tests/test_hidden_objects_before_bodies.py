"""What one may not see is a 404 whatever the body: an endpoint nested under an object (a bot's tokens, a
conversation's messages, a message's reactions) looks for the object before it reads the body, so a bad body
for someone else's object tells nothing of it (it was a 400 naming the field, the object's existence given
away). The same body for an object one sees is still its 400."""

import pytest

from accounts import services as account_services
from tests.accounts.factories import UserFactory
from tests.accounts.test_api_tokens import logged_in
from tests.messaging.factories import make_conversation, store_message

pytestmark = pytest.mark.django_db

BAD = {
    "name": 5,
    "title": 5,
    "body": 5,
    "emoji": 5,
    "conversation": "x",
    "seq": "x",
    "reason": 5,
    "client_id": 5,
}


@pytest.fixture
def ada(db):
    return UserFactory(username="ada")


@pytest.fixture
def grace(db):
    return UserFactory(username="grace")


@pytest.fixture
def theirs(grace):
    """Grace's bot, group and message, none of which Ada may see."""
    bot = account_services.bot_create(owner=grace, username="grace-ci")
    group = make_conversation(grace, UserFactory(), title="Theirs")
    return bot, group, store_message(group, grace)


@pytest.fixture
def hers(ada, grace):
    """The same, Ada's own: where the bad body is a 400."""
    bot = account_services.bot_create(owner=ada, username="ada-ci")
    group = make_conversation(ada, grace, title="Ours")
    return bot, group, store_message(group, ada)


def requests(bot, group, message):
    return [
        ("post", f"/api/v1/bots/{bot.pk}/tokens/", "No such bot."),
        ("post", f"/api/v1/conversations/{group.pk}/messages/", "No such conversation."),
        ("post", f"/api/v1/conversations/{group.pk}/webhooks/", "No such conversation."),
        ("post", f"/api/v1/conversations/{group.pk}/members/", "No such conversation."),
        ("post", f"/api/v1/conversations/{group.pk}/read/", "No such conversation."),
        ("patch", f"/api/v1/conversations/{group.pk}/", "No such conversation."),
        ("patch", f"/api/v1/messages/{message.pk}/", "No such message."),
        ("post", f"/api/v1/messages/{message.pk}/reactions/", "No such message."),
        ("delete", f"/api/v1/messages/{message.pk}/reactions/?emoji=", "No such message."),
        ("post", f"/api/v1/messages/{message.pk}/forward/", "No such message."),
        ("post", f"/api/v1/messages/{message.pk}/thread/read/", "No such message."),
        ("post", f"/api/v1/messages/{message.pk}/report/", "No such message."),
    ]


def test_a_bad_body_for_an_object_one_may_not_see_is_its_404(ada, theirs, hers):
    client = logged_in(ada)
    for method, path, detail in requests(*theirs):
        response = getattr(client, method)(path, BAD, format="json")
        assert (response.status_code, response.json()["error"]["detail"]) == (404, detail), (method, path)
    # and for her own objects the same bodies are refused as bodies
    for method, path, _ in requests(*hers):
        response = getattr(client, method)(path, BAD, format="json")
        assert response.status_code == 400, (method, path, response.content)


# --- the look-up before the body is the gate alone: one query that loads nothing (no sender, attachments or
# reactions), which the service then loads once itself. It was message_get_for_user's three (the message with
# its sender and conversation, its attachments, its reactions), thrown away.

# (method, path, body, queries with the request's own authentication, the service and the answer)
LOOKED_UP_FIRST = [
    ("patch", "/api/v1/messages/{m}/", {"body": "edited"}, 16),
    ("post", "/api/v1/messages/{m}/reactions/", {"emoji": "👍"}, 17),
    ("delete", "/api/v1/messages/{m}/reactions/?emoji=👍", None, 10),
    ("post", "/api/v1/messages/{m}/report/", {"reason": "Spam"}, 11),
]


@pytest.mark.parametrize(("method", "path", "body", "queries"), LOOKED_UP_FIRST)
def test_an_endpoint_looks_a_message_up_before_its_body_in_one_bare_query(
    ada, grace, hers, django_assert_num_queries, method, path, body, queries
):
    _, group, message = hers
    if path.endswith("/report/"):  # one reports another's message
        message = store_message(group, grace, 2, "Buy now")
    client = logged_in(ada)
    if method == "delete":
        client.post(f"/api/v1/messages/{message.pk}/reactions/", {"emoji": "👍"}, format="json")
    url = path.format(m=message.pk)
    with django_assert_num_queries(queries) as captured:
        response = getattr(client, method)(url, body, format="json")
    assert response.status_code in (200, 201, 204), response.content
    gate = captured.captured_queries[1]["sql"]  # after the token's user
    assert gate.startswith('SELECT 1 AS "a" FROM "messaging_message"'), gate


@pytest.mark.parametrize(
    ("method", "path"),
    [(method, path) for method, path, _, _ in LOOKED_UP_FIRST] + [("post", "/api/v1/messages/{m}/forward/")],
)
def test_a_hidden_message_is_still_a_404_whatever_the_body_after_the_gate_alone(
    ada, theirs, django_assert_num_queries, method, path
):
    _, _, message = theirs
    client = logged_in(ada)
    with django_assert_num_queries(2):  # the token's user, then the gate; the body is never read
        response = getattr(client, method)(path.format(m=message.pk), BAD, format="json")
    assert (response.status_code, response.json()["error"]["detail"]) == (404, "No such message.")
