"""The socket reads text as strings only, as REST does (docs/protocol.md, "Errors"): a number, true, a list or
an object for a message's body or a reaction's emoji is an `invalid` error naming the field, and nothing is
sent or changed."""

import uuid

import pytest
from asgiref.sync import sync_to_async

from messaging.models import Message, Reaction
from tests.conftest import queued_for_persistence
from tests.messaging.factories import store_message

pytestmark = pytest.mark.django_db(transaction=True)

NOT_STRINGS = [123, -0.5, True, ["hello"], {"text": "hello"}]


@pytest.mark.parametrize("value", NOT_STRINGS)
@pytest.mark.parametrize(
    ("frame", "field"),
    [
        ({"type": "message.send", "conversation": "{c}", "client_id": "{client_id}"}, "body"),
        ({"type": "message.edit", "message": "{m}"}, "body"),
        ({"type": "reaction.add", "message": "{m}"}, "emoji"),
    ],
)
async def test_text_that_is_not_a_string_is_refused(connect, ada, team, frame, field, value):
    # given
    message = await sync_to_async(store_message)(team, ada, 1, "the plan")
    tab = await connect(ada)
    names = {"{c}": team.pk, "{m}": str(message.pk), "{client_id}": str(uuid.uuid4())}

    # when
    await tab.send({**{key: names.get(v, v) for key, v in frame.items()}, field: value})

    # then
    error = await tab.receive_type("error")
    assert error["code"] == "invalid"
    assert error["detail"].startswith(f"`{field}` must be a non-blank string")
    stored = await sync_to_async(list)(Message.objects.values_list("body", flat=True))
    assert stored == ["the plan"]
    assert not await Reaction.objects.aexists()
    assert await sync_to_async(queued_for_persistence)() == 0
