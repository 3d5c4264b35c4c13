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
