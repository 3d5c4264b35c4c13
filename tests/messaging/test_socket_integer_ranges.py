"""An id or seq in a socket frame past what a column holds (2**63 - 1, docs/protocol.md) is refused with an
`invalid` error naming the range accepted, its largest number included: it said "must be an integer ≥ 0",
which a number far above 0 satisfies as far as its sender can tell."""

import uuid

import pytest

from core.ids import ID_MAX

pytestmark = pytest.mark.django_db(transaction=True)

TOO_BIG = [2**63, 2**64 - 1]  # (past 2**64 - 1 the server's JSON parser reads a float)
RANGE = f"must be an integer from 0 to {ID_MAX}."


@pytest.mark.parametrize("number", TOO_BIG)
@pytest.mark.parametrize(
    ("frame", "field"),
    [
        ({"type": "typing"}, "conversation"),
        ({"type": "read", "seq": 1}, "conversation"),
        ({"type": "message.send", "body": "hi", "client_id": str(uuid.uuid4())}, "conversation"),
    ],
)
async def test_a_too_large_conversation_id_is_refused_naming_the_range(
    connect, ada, team, frame, field, number
):
    tab = await connect(ada)
    await tab.send({**frame, field: number})
    error = await tab.receive_type("error")
    assert (error["code"], error["detail"]) == ("invalid", f"`{field}` {RANGE}")


async def test_a_too_large_read_marker_is_refused_naming_the_range(connect, ada, team):
    tab = await connect(ada)
    await tab.send({"type": "read", "conversation": team.pk, "seq": 2**63})
    error = await tab.receive_type("error")
    assert (error["code"], error["detail"]) == ("invalid", f"`seq` {RANGE}")


async def test_a_too_large_sync_cursor_is_refused_naming_the_range(connect, ada, team):
    tab = await connect(ada)
    await tab.send({"type": "sync", "since": {str(team.pk): 2**63}})
    error = await tab.receive_type("error")
    assert (error["code"], error["detail"]) == ("invalid", f"`since` values must be seqs from 0 to {ID_MAX}.")


async def test_the_largest_number_is_taken(connect, ada, team):
    # 2**63 - 1 is in range: the read is refused for what it names (no such event), not for its size
    tab = await connect(ada)
    await tab.send({"type": "read", "conversation": team.pk, "seq": ID_MAX})
    error = await tab.receive_type("error")
    assert (error["code"], "integer" in error["detail"]) == ("invalid", False)
