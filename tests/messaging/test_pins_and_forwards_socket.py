"""Pins and forwards over the socket (issue #26): a pin or unpin is an event of the conversation, live to its
members only and replayed by `sync`; a forward is acknowledged like a send and reaches the target's members.
"""

import uuid

import pytest
from channels.db import database_sync_to_async

from files.events import attachment_payload
from messaging import services
from messaging.delivery.eventlog import initialise_counter
from messaging.models import Conversation, Membership
from tests.files.factories import StoredFileFactory
from tests.messaging.factories import make_conversation, store_message
from tests.messaging.test_event_log import replay
from tests.messaging.test_socket_events import send_and_ack

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def side(bob, cy):
    """bob (owner) and cy, who is not in the team."""
    conversation = make_conversation(bob, cy, title="Side")
    initialise_counter(conversation.pk)
    return conversation


async def stored_note(team, ada):
    return await database_sync_to_async(store_message)(team, ada, 1, "the plan")


async def test_a_pin_and_an_unpin_reach_every_member_live_and_no_outsider(connect, ada, bob, eve, team):
    note = await stored_note(team, ada)
    ada_tab, bob_tab, eve_tab = await connect(ada), await connect(bob), await connect(eve)
    # when bob pins it
    await bob_tab.send({"type": "message.pin", "message": str(note.pk)})
    # then both members hear of it, with the message as the pinned list shows it
    for tab in (ada_tab, bob_tab):
        pinned = await tab.receive_type("pin")
        assert pinned | {"message": None} == {
            "type": "pin",
            "seq": 2,
            "conversation": team.pk,
            "message": None,
            "message_id": str(note.pk),
            "user": bob.pk,
            "state": "pinned",
        }
        assert (pinned["message"]["id"], pinned["message"]["body"]) == (str(note.pk), "the plan")
    # and an unpin, too
    await ada_tab.send({"type": "message.unpin", "message": str(note.pk)})
    unpinned = await bob_tab.receive_type("pin")
    assert (unpinned["seq"], unpinned["state"], unpinned["message"], unpinned["user"]) == (
        3,
        "unpinned",
        None,
        ada.pk,
    )
    assert await eve_tab.nothing_more()


async def test_pins_made_while_away_are_replayed_by_sync(connect, ada, bob, team):
    note = await stored_note(team, ada)
    other = await database_sync_to_async(store_message)(team, ada, 2, "another")
    bob_tab = await connect(bob)
    await bob_tab.close()
    # while bob is away, ada pins both and unpins one
    await database_sync_to_async(services.message_pin)(user=ada, message_id=note.pk)
    await database_sync_to_async(services.message_pin)(user=ada, message_id=other.pk)
    await database_sync_to_async(services.message_unpin)(user=ada, message_id=other.pk)
    # when he comes back
    bob_tab = await connect(bob, sync=False)
    frames, done = await replay(bob_tab, {team.pk: 2})
    # then the end state arrives in order: the first pinned, the second unpinned
    pins = [(f["message_id"], f["state"]) for f in frames if f["type"] == "pin"]
    assert pins[0] == (str(note.pk), "pinned")
    assert pins[-1] == (str(other.pk), "unpinned")
    assert done["conversations"] == {str(team.pk): frames[-1]["seq"]}


async def test_a_pinned_message_removed_since_never_shows_its_words_in_a_replay(connect, ada, bob, team):
    note = await database_sync_to_async(store_message)(team, ada, 1, "secret plans")
    await database_sync_to_async(services.message_pin)(user=ada, message_id=note.pk)
    # when a moderator removes it (which unpins it), and bob replays from before the pin
    await database_sync_to_async(services.message_soft_delete)(message=note, by_moderator=True)
    bob_tab = await connect(bob, sync=False)
    frames, _ = await replay(bob_tab, {team.pk: 1})
    # then the recent log's copy of the pin shows it as it is now
    assert "secret" not in str(frames)
    assert [f["type"] for f in frames] == ["pin", "message.deleted"]
    assert frames[0]["message"]["deleted"] is True
    assert not await team.pins.aexists()


async def test_a_member_refused_by_the_pin_policy_gets_a_forbidden_error(connect, ada, bob, team):
    note = await stored_note(team, ada)
    await Conversation.objects.filter(pk=team.pk).aupdate(pin_policy="admins")
    bob_tab = await connect(bob)
    # when
    await bob_tab.send({"type": "message.pin", "message": str(note.pk)})
    # then
    error = await bob_tab.receive_type("error")
    assert error["code"] == "forbidden"
    assert not await team.pins.aexists()


async def test_a_forward_is_acknowledged_and_reaches_the_target_conversation(
    connect, ada, bob, cy, team, side
):
    note = await stored_note(team, ada)
    bob_tab, bob_other_tab, cy_tab = await connect(bob), await connect(bob), await connect(cy)
    frame = {"type": "message.forward", "message": str(note.pk), "conversation": side.pk}
    frame["client_id"] = str(uuid.uuid4())
    # when bob forwards ada's message from the team to the side conversation
    await bob_tab.send(frame)
    # then his socket gets the ack, and every member the message, carrying what was forwarded and from whom
    acked = (await bob_tab.ack_for(frame["client_id"]))["message"]
    assert (acked["conversation"], acked["body"], acked["sender"]["id"]) == (side.pk, "the plan", bob.pk)
    origin = {
        "message": str(note.pk),
        "conversation": team.pk,
        "sender_name": ada.public_name,
        "sender_id": ada.pk,
    }
    assert acked["forwarded_from"] == origin
    assert (await bob_other_tab.receive_type("message.new"))["message"] == acked
    # and cy, who is not in the team, gets no link back to it, live or replayed
    hidden = {**origin, "message": None, "conversation": None}
    seen = (await cy_tab.receive_type("message.new"))["message"]
    assert seen == {**acked, "forwarded_from": hidden}
    cy_later = await connect(cy, sync=False)
    await cy_later.send({"type": "sync", "since": {str(side.pk): 0}})
    assert (await cy_later.receive_type("message.new"))["message"]["forwarded_from"] == hidden
    # and a retry is the same message, not a second one
    await bob_tab.send(frame)
    assert (await bob_tab.ack_for(frame["client_id"]))["message"]["id"] == acked["id"]
    assert (await send_and_ack(bob_tab, side.pk, "next"))["seq"] == acked["seq"] + 1


async def test_a_forward_carries_the_original_s_files_to_the_target_s_members(
    connect, ada, bob, cy, team, side
):
    # given ada's message in the team with two files, in the order she attached them
    note = await stored_note(team, ada)
    files = [await database_sync_to_async(StoredFileFactory)(owner=ada) for _ in range(2)]
    for stored in files:  # one at a time: add() of several links them in no set order
        await database_sync_to_async(note.attachments.add)(stored)
    bob_tab, cy_tab = await connect(bob), await connect(cy)
    client_id = str(uuid.uuid4())
    # when bob forwards it over the socket
    frame = {"type": "message.forward", "message": str(note.pk), "conversation": side.pk}
    await bob_tab.send({**frame, "client_id": client_id})
    # then the forward carries the same files, in that order, to bob and to cy
    acked = (await bob_tab.ack_for(client_id))["message"]
    assert acked["attachments"] == [attachment_payload(f) for f in files]
    assert (await cy_tab.receive_type("message.new"))["message"]["attachments"] == acked["attachments"]


async def test_a_forward_of_what_i_may_not_see_or_into_a_conversation_not_mine_is_not_found(
    connect, ada, bob, cy, team, side
):
    note = await stored_note(team, ada)
    cy_tab, ada_tab = await connect(cy), await connect(ada)
    for tab, target in ((cy_tab, side.pk), (ada_tab, side.pk)):
        client_id = str(uuid.uuid4())
        await tab.send(
            {
                "type": "message.forward",
                "message": str(note.pk),
                "conversation": target,
                "client_id": client_id,
            }
        )
        error = await tab.ack_for(client_id)
        assert (error["type"], error["code"]) == ("error", "not_found")
    assert not await Membership.objects.filter(user=ada, conversation=side).aexists()
    assert await side.messages.acount() == 0
