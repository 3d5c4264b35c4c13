"""A UUID in a REST body is a string (docs/api.md), as on the socket: a JSON number (or true) is a 400 on its
field, not read as the UUID of that integer (DRF's UUIDField made `"client_id": 5` into
00000000-0000-0000-0000-000000000005 and sent the message)."""

import uuid

import pytest
from rest_framework.test import APIClient

from messaging.models import Message
from tests.messaging.factories import store_message

pytestmark = pytest.mark.django_db

NOT_STRINGS = [5, 0, True, 2**200, 1.5, ["6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f"], {"id": 5}]


def refused_on(response, field: str) -> bool:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == ("invalid", [field])
    return True


@pytest.mark.parametrize("value", NOT_STRINGS)
@pytest.mark.parametrize("field", ["client_id", "reply_to", "thread_root"])
def test_a_send_takes_only_uuid_strings(as_user, ada, team, field, value):
    payload = {"body": "hello", "client_id": str(uuid.uuid4()), field: value}
    response = as_user(ada).post(f"/api/v1/conversations/{team.pk}/messages/", payload, format="json")
    assert refused_on(response, field)


@pytest.mark.parametrize("value", [5, True])
def test_a_send_takes_only_uuid_strings_as_attachments(as_user, ada, team, value):
    payload = {"body": "hello", "client_id": str(uuid.uuid4()), "attachments": [value]}
    response = as_user(ada).post(f"/api/v1/conversations/{team.pk}/messages/", payload, format="json")
    assert refused_on(response, "attachments")


def test_a_forward_takes_only_a_uuid_string_as_its_client_id(as_user, ada, team):
    message = store_message(team, ada, 1, "note")
    payload = {"conversation": team.pk, "client_id": 5}
    response = as_user(ada).post(f"/api/v1/messages/{message.pk}/forward/", payload, format="json")
    assert refused_on(response, "client_id")
    assert Message.objects.count() == 1


def test_a_webhook_post_takes_only_a_uuid_string_as_its_client_id(as_user, ada, team):
    url = as_user(ada).post(f"/api/v1/conversations/{team.pk}/webhooks/", {"name": "CI"}, format="json")
    response = APIClient().post(url.json()["url"], {"text": "built", "client_id": 5}, format="json")
    assert refused_on(response, "client_id")


def test_uuid_strings_are_taken_as_before(as_user, ada, team):
    client_id = uuid.uuid4()
    response = as_user(ada).post(
        f"/api/v1/conversations/{team.pk}/messages/",
        {"body": "hello", "client_id": client_id.hex.upper()},
        format="json",
    )
    assert response.status_code == 202
    assert response.json()["client_id"] == str(client_id)
