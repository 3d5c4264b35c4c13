"""Present means looking (issue #25): each socket's `activity` frame, the `idle` status others see, and the
refusals of a bad frame or of an @all a member may not use, over the socket."""

import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from messaging.models import Conversation, Message
from realtime.presence import looking_user_ids, statuses

pytestmark = pytest.mark.django_db(transaction=True)

HIDDEN = {"type": "activity", "visible": False, "focused": False, "idle_seconds": 0}
LOOKING = {"type": "activity", "visible": True, "focused": True, "idle_seconds": 3}


async def applied(tab) -> None:
    """The server handles a socket's frames in order: once a ping is answered, the frames before it took
    effect."""
    await tab.send({"type": "ping"})
    await tab.receive_type("pong", skip=("presence",))


async def presence_of(tab) -> str:
    return (await tab.receive_type("presence", skip=()))["status"]


async def test_a_hidden_page_makes_its_user_idle_and_a_looking_one_online_again(connect, ada, bob, team):
    bob_tab = await connect(bob)
    ada_tab = await connect(ada)
    assert await presence_of(bob_tab) == "online"  # a socket counts as looking until it says otherwise

    await ada_tab.send(HIDDEN)
    assert await bob_tab.receive_type("presence", skip=()) == {
        "type": "presence",
        "user": ada.pk,
        "status": "idle",
    }
    assert await sync_to_async(looking_user_ids)([ada.pk]) == set()

    await ada_tab.send(LOOKING)
    assert await presence_of(bob_tab) == "online"

    # idle for the threshold (300 s) without input: idle again, though visible and focused
    await ada_tab.send({**LOOKING, "idle_seconds": 300})
    assert await presence_of(bob_tab) == "idle"
    await ada_tab.close()
    assert await presence_of(bob_tab) == "offline"


async def test_one_looking_tab_keeps_its_user_online_whatever_the_others_do(connect, ada, bob, team, as_user):
    bob_tab = await connect(bob)
    hidden_tab, looking_tab = await connect(ada), await connect(ada)
    assert await presence_of(bob_tab) == "online"

    await hidden_tab.send(HIDDEN)
    await looking_tab.send(LOOKING)
    await applied(hidden_tab)
    await applied(looking_tab)
    assert await bob_tab.nothing_more(skip=())  # no presence change: ada is still looking somewhere
    assert await sync_to_async(looking_user_ids)([ada.pk]) == {ada.pk}

    # the looking tab closes: ada is connected, but nobody is looking
    await looking_tab.close()
    assert await presence_of(bob_tab) == "idle"
    # and the REST conversation shows it beside `online`
    response = await sync_to_async(as_user(bob).get)(f"/api/v1/conversations/{team.pk}/")
    member = next(m for m in response.json()["members"] if m["id"] == ada.pk)
    assert (member["status"], member["online"]) == ("idle", True)


async def test_the_same_activity_again_changes_nothing(connect, ada, bob, team):
    bob_tab = await connect(bob)
    ada_tab = await connect(ada)
    assert await presence_of(bob_tab) == "online"

    for _ in range(3):
        await ada_tab.send(LOOKING)
    await applied(ada_tab)

    assert await bob_tab.nothing_more(skip=())


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "activity", "focused": True, "idle_seconds": 0},  # no visible
        {"type": "activity", "visible": "yes", "focused": True, "idle_seconds": 0},
        {"type": "activity", "visible": False, "focused": None, "idle_seconds": 0},
        {"type": "activity", "visible": False, "focused": False},  # no idle_seconds
        {"type": "activity", "visible": False, "focused": False, "idle_seconds": -1},
        {"type": "activity", "visible": False, "focused": False, "idle_seconds": 86401},
        {"type": "activity", "visible": False, "focused": False, "idle_seconds": 1.5},
        {"type": "activity", "visible": False, "focused": False, "idle_seconds": True},
    ],
)
async def test_a_bad_activity_frame_is_an_error_and_changes_nothing(connect, ada, bob, team, frame):
    bob_tab = await connect(bob)
    ada_tab = await connect(ada)
    assert await presence_of(bob_tab) == "online"

    await ada_tab.send(frame)

    error = await ada_tab.receive_type("error", skip=("presence",))
    assert error["code"] == "invalid"
    await applied(ada_tab)
    assert await bob_tab.nothing_more(skip=())
    assert await sync_to_async(statuses)([ada.pk]) == {ada.pk: "online"}


async def test_activity_frames_are_rate_limited_with_typing_and_read(connect, ada, bob, team, settings):
    settings.SOCKET_SIGNAL_RATE_BURST, settings.SOCKET_SIGNAL_RATE_PER_SECOND = 3, 0.001
    bob_tab = await connect(bob)
    ada_tab = await connect(ada)
    assert await presence_of(bob_tab) == "online"
    await ada_tab.send({"type": "typing", "conversation": team.pk, "state": "start"})

    for frame in (LOOKING, LOOKING, HIDDEN, HIDDEN):
        await ada_tab.send(frame)

    # the typing frame and two activity frames fit the burst; the hidden ones were not acted on
    for _ in range(2):
        assert (await ada_tab.receive_type("error", skip=("presence",)))["code"] == "rate_limited"
    await applied(ada_tab)
    assert await sync_to_async(statuses)([ada.pk]) == {ada.pk: "online"}


async def test_a_member_may_not_use_all_in_a_channel_that_keeps_it_for_admins(connect, ada, bob):
    @database_sync_to_async
    def make_channel() -> Conversation:
        from messaging import services
        from messaging.delivery.eventlog import initialise_counter

        channel, _ = services.conversation_create(
            creator=ada, kind="channel", member_ids=[bob.pk], title="General"
        )
        initialise_counter(channel.pk)
        return channel

    channel = await make_channel()
    bob_tab = await connect(bob)
    client_id = str(uuid.uuid4())

    await bob_tab.send(
        {"type": "message.send", "conversation": channel.pk, "body": "@all hi", "client_id": client_id}
    )

    error = await bob_tab.ack_for(client_id)
    assert (error["type"], error["code"], error["ref"]) == ("error", "mention_not_allowed", client_id)
    assert not await Message.objects.filter(conversation=channel).aexists()
    # while the owner may, and the message says so
    ada_tab = await connect(ada)
    client_id = str(uuid.uuid4())
    await ada_tab.send(
        {"type": "message.send", "conversation": channel.pk, "body": "@all hi @bob", "client_id": client_id}
    )
    ack = await ada_tab.ack_for(client_id)
    assert (ack["message"]["mentions_all"], ack["message"]["mentions"]) == (True, [bob.pk])
    assert (await bob_tab.receive_type("message.new"))["message"]["mentions"] == [bob.pk]
