"""A reply quoting a message that is gone (deleted by its sender, or removed by a moderator) is refused as one
quoting a message that does not exist, over REST and the socket; nothing is sent."""

import uuid
from unittest.mock import ANY

import pytest
from channels.db import database_sync_to_async

from core import remembered
from messaging.delivery import references
from messaging.models import Message
from messaging.tasks import persist_messages_task
from moderation import services as moderation_services
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

NO_SUCH_PARENT = {"code": "not_found", "detail": "No such message to reply to.", "fields": {}}


def rest_send(client, conversation_id: int, **extra):
    payload = {"body": "x", "client_id": str(uuid.uuid4()), **extra}
    return client.post(f"/api/v1/conversations/{conversation_id}/messages/", payload, format="json")


def stored(client, conversation_id: int, body: str) -> str:
    response = rest_send(client, conversation_id, body=body)
    assert response.status_code == 202, response.json()
    message = {k: v for k, v in response.json().items() if k != "reactions"}
    persist_messages_task.apply(args=([message],)).get()
    return message["id"]


def remove(message_id):
    moderator = UserFactory(username="mod", is_staff=True, is_superuser=True)
    moderation_services.message_remove(
        moderator=moderator, message=Message.objects.get(pk=message_id), reason="rude"
    )


def test_a_reply_to_a_deleted_or_removed_message_is_404(as_user, ada, bob, team):
    deleted = stored(as_user(ada), team.pk, "oops")
    assert as_user(ada).delete(f"/api/v1/messages/{deleted}/").status_code == 204
    removed = stored(as_user(ada), team.pk, "rude words")
    remove(removed)
    answers = []
    for parent in (deleted, removed, str(uuid.uuid4())):
        response = rest_send(as_user(bob), team.pk, reply_to=parent)
        answers.append((response.status_code, response.json()["error"]))
    assert answers == [(404, NO_SUCH_PARENT)] * 3
    assert not Message.objects.filter(reply_to_id__in=[deleted, removed]).exists()


async def test_a_reply_to_a_message_deleted_since_is_refused_once_looked_up_again(
    connect, as_user, ada, bob, team, monkeypatch
):
    parent = await database_sync_to_async(stored)(as_user(ada), team.pk, "oops")
    bob_tab = await connect(bob)

    async def reply() -> dict:
        frame = {"type": "message.send", "conversation": team.pk, "body": "x", "client_id": str(uuid.uuid4())}
        await bob_tab.send({**frame, "reply_to": parent})
        return await bob_tab.ack_for(frame["client_id"])

    assert (await reply())["type"] == "message.ack"  # this worker knows the parent, not deleted
    await database_sync_to_async(remove)(parent)
    later = remembered.monotonic() + references.RECHECK_SECONDS + 1
    monkeypatch.setattr(remembered, "monotonic", lambda: later)
    answer = await reply()
    assert answer == {"type": "error", "code": "not_found", "detail": NO_SUCH_PARENT["detail"], "ref": ANY}
