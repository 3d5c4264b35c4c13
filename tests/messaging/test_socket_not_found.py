"""Every frame addressed by a message answers one it may not see as REST does (messaging.selectors
NO_SUCH_MESSAGE), and one sent into a conversation the user is not in as REST does (NO_SUCH_CONVERSATION)."""

import uuid

import pytest

from messaging.selectors import NO_SUCH_CONVERSATION, NO_SUCH_MESSAGE

pytestmark = pytest.mark.django_db(transaction=True)


def message_frames(conversation_id: int, message_id: str) -> dict[str, dict]:
    client_id = {"client_id": str(uuid.uuid4())}
    send = {"type": "message.send", "conversation": conversation_id, "body": "x", **client_id}
    return {
        "message.edit": {"type": "message.edit", "message": message_id, "body": "x"},
        "message.delete": {"type": "message.delete", "message": message_id},
        "reaction.add": {"type": "reaction.add", "message": message_id, "emoji": "👍"},
        "reaction.remove": {"type": "reaction.remove", "message": message_id, "emoji": "👍"},
        "message.pin": {"type": "message.pin", "message": message_id},
        "message.unpin": {"type": "message.unpin", "message": message_id},
        "message.forward": {
            "type": "message.forward",
            "message": message_id,
            "conversation": conversation_id,
            **client_id,
        },
        "message.send thread_root": {**send, "thread_root": message_id},
    }


@pytest.mark.parametrize("kind", list(message_frames(0, "")))
async def test_a_frame_on_an_unknown_message_says_what_rest_says(connect, ada, team, kind):
    tab = await connect(ada)
    await tab.send(message_frames(team.pk, str(uuid.uuid4()))[kind])
    error = await tab.receive_type("error")
    assert (error["code"], error["detail"]) == ("not_found", NO_SUCH_MESSAGE)


@pytest.mark.parametrize("kind", ["message.send", "typing", "read"])
async def test_a_frame_into_a_conversation_one_is_not_in_says_what_rest_says(connect, eve, team, kind):
    frame = {
        "message.send": {"type": "message.send", "body": "x", "client_id": str(uuid.uuid4())},
        "typing": {"type": "typing", "state": "start"},
        "read": {"type": "read", "seq": 1},
    }[kind]
    tab = await connect(eve)
    await tab.send({**frame, "conversation": team.pk})
    error = await tab.receive_type("error")
    assert (error["code"], error["detail"]) == ("not_found", NO_SUCH_CONVERSATION)
