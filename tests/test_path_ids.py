"""A path id that cannot be one — not a number, 0, negative, past 2**63 - 1, not a UUID — is answered as an id
that is not there: the endpoint's own 404 ("No such bot."), never Django's "Not found." for a URL that matched
no route (core.ids' converters)."""

import uuid

import pytest

from tests.accounts.factories import UserFactory
from tests.accounts.test_api_tokens import logged_in

pytestmark = pytest.mark.django_db

NOT_IDS = ["abc", "0", "-1", "1.5", "1e3", "٣", "9223372036854775808", "9" * 20, "9" * 5_000]
NOT_UUIDS = [
    "abc",
    "1",
    "0" * 32,
    str(uuid.uuid4())[:-1],
    str(uuid.uuid4()) + "0",
    "{" + str(uuid.uuid4()) + "}",
]

ID_ENDPOINTS = [
    ("get", "/api/v1/bots/{}/", "No such bot."),
    ("delete", "/api/v1/bots/{}/", "No such bot."),
    ("get", "/api/v1/bots/{}/tokens/", "No such bot."),
    ("delete", "/api/v1/tokens/{}/", "No such token."),
    ("delete", "/api/v1/invitations/{}/", "No such invitation."),
    ("delete", "/api/v1/blocks/{}/", "You have not blocked this person."),
    ("get", "/api/v1/conversations/{}/", "No such conversation."),
    ("get", "/api/v1/conversations/{}/messages/", "No such conversation."),
    ("post", "/api/v1/conversations/{}/leave/", "No such conversation."),
    ("get", "/api/v1/conversations/{}/pins/", "No such conversation."),
    ("delete", "/api/v1/webhooks/{}/", "No such webhook."),
    ("post", "/api/v1/webhooks/{}/rotate/", "No such webhook."),
    ("delete", "/api/v1/push/subscriptions/{}/", None),
]
UUID_ENDPOINTS = [
    ("delete", "/api/v1/messages/{}/", "No such message."),
    ("put", "/api/v1/messages/{}/pin/", "No such message."),
    ("get", "/api/v1/messages/{}/thread/", "No such message."),
    ("put", "/api/v1/messages/{}/thread/follow/", "No such message."),
    ("delete", "/api/v1/files/{}/", None),
    ("get", "/api/v1/files/{}/download/", None),
    ("get", "/api/v1/previews/{}/image/", "No such preview image."),
]


@pytest.fixture
def client(db):
    return logged_in(UserFactory(username="integrator"))


def answer(client, method: str, path: str):
    response = getattr(client, method)(path)
    return response.status_code, response.json()


@pytest.mark.parametrize(("method", "path", "detail"), ID_ENDPOINTS)
def test_an_id_that_cannot_be_one_is_answered_as_one_that_is_not_there(client, method, path, detail):
    missing = answer(client, method, path.format(987654321))
    assert missing[0] == 404
    if detail:
        assert missing[1]["error"]["detail"] == detail
    for not_an_id in NOT_IDS:
        assert answer(client, method, path.format(not_an_id)) == missing, not_an_id


@pytest.mark.parametrize(("method", "path", "detail"), UUID_ENDPOINTS)
def test_a_uuid_that_cannot_be_one_is_answered_as_one_that_is_not_there(client, method, path, detail):
    missing = answer(client, method, path.format(uuid.uuid4()))
    assert missing[0] == 404
    if detail:
        assert missing[1]["error"]["detail"] == detail
    for not_a_uuid in NOT_UUIDS:
        assert answer(client, method, path.format(not_a_uuid)) == missing, not_a_uuid


def test_a_uuid_in_capitals_is_the_same_uuid(client):
    # given one of the integrator's uploads
    created = client.post("/api/v1/files/", {"name": "a.txt", "size": 3}, format="json")
    file_id = created.json()["id"]
    # when it is discarded by its id in capitals, then it is gone (Django's <uuid:…> matched lower case only)
    assert client.delete(f"/api/v1/files/{file_id.upper()}/").status_code == 204
    assert client.delete(f"/api/v1/files/{file_id}/").status_code == 404
