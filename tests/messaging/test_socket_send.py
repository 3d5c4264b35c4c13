"""message.send over the socket: ack, fan-out to every member's sockets, idempotent retries, refusals."""

import uuid

import pytest
from asgiref.sync import sync_to_async

from messaging.delivery.eventlog import initialise_counter
from messaging.models import Message
from messaging.selectors import NO_SUCH_CONVERSATION
from tests.messaging.factories import make_conversation

pytestmark = pytest.mark.django_db(transaction=True)


def send_frame(conversation, body="hello", client_id=None, **extra):
    return {
        "type": "message.send",
        "conversation": conversation.pk,
        "body": body,
        "client_id": str(client_id or uuid.uuid4()),
        **extra,
    }


async def test_sender_is_acked_and_every_member_socket_gets_the_message(connect, ada, bob, team):
    # given
    conversation = team
    ada_tab, ada_other_tab, bob_tab = await connect(ada), await connect(ada), await connect(bob)
    # when
    frame = send_frame(conversation, "hello **bob**")
    await ada_tab.send(frame)
    # then
    ack = await ada_tab.receive_type("message.ack", skip=("presence", "message.new"))
    assert ack["client_id"] == frame["client_id"]
    message = ack["message"]
    assert message["body"] == "hello **bob**"
    assert message["seq"] == 1
    assert message["sender"] == {"id": ada.pk, "username": ada.username, "display_name": ada.display_name}
    for tab in (ada_other_tab, bob_tab):
        assert (await tab.receive_type("message.new"))["message"] == message


async def test_the_sending_socket_gets_its_ack_before_its_own_message_new(connect, ada, bob, team):
    ada_tab = await connect(ada)
    for body in ("one", "two", "three"):
        frame = send_frame(team, body)
        await ada_tab.send(frame)
        # then: the ack first (a client can mark its pending copy sent), then the message as everyone sees it
        ack = await ada_tab.receive_type("message.ack")
        assert ack["client_id"] == frame["client_id"]
        assert (await ada_tab.receive_type("message.new"))["message"] == ack["message"]


async def test_a_resend_with_the_same_client_id_returns_the_original_and_nobody_sees_it_twice(
    connect, ada, bob, team
):
    conversation = team
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    frame = send_frame(conversation, "once")
    await ada_tab.send(frame)
    first = (await ada_tab.receive_type("message.ack", skip=("presence", "message.new")))["message"]
    # when: the ack was lost, the client retries
    await ada_tab.send(frame)
    second = (await ada_tab.receive_type("message.ack", skip=("presence", "message.new")))["message"]
    # then
    assert second == first
    assert (await bob_tab.receive_type("message.new"))["message"]["id"] == first["id"]
    await ada_tab.send(send_frame(conversation, "next"))
    assert (await bob_tab.receive_type("message.new"))["message"]["body"] == "next"


async def test_a_client_id_sent_into_another_conversation_is_refused_not_acked_with_the_first(
    connect, ada, bob, team
):
    side = await sync_to_async(make_conversation)(ada, bob, kind="direct")
    await sync_to_async(initialise_counter)(side.pk)
    ada_tab = await connect(ada)
    frame = send_frame(team, "in the team")
    await ada_tab.send(frame)
    await ada_tab.receive_type("message.ack", skip=("presence", "message.new"))
    # when the same client_id is sent into another conversation
    await ada_tab.send({**send_frame(side, "elsewhere"), "client_id": frame["client_id"]})
    # then an error answers it, not an ack carrying the team's message
    error = await ada_tab.receive_type("error", skip=("presence", "message.new"))
    assert (error["code"], error["ref"]) == ("invalid", frame["client_id"])


async def test_seqs_increase_in_the_order_members_receive_them(connect, ada, bob, team):
    conversation = team
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    for n in range(20):
        await ada_tab.send(send_frame(conversation, f"m{n}"))
    received = [(await bob_tab.receive_type("message.new"))["message"] for _ in range(20)]
    assert [m["body"] for m in received] == [f"m{n}" for n in range(20)]
    assert [m["seq"] for m in received] == list(range(1, 21))


async def test_a_non_member_cannot_send_and_learns_nothing(connect, bob, eve, team):
    conversation = team
    eve_tab, bob_tab = await connect(eve), await connect(bob)
    frame = send_frame(conversation, "let me in")
    await eve_tab.send(frame)
    error = await eve_tab.receive_type("error")
    assert error == {
        "type": "error",
        "code": "not_found",
        "detail": NO_SUCH_CONVERSATION,
        "ref": frame["client_id"],
    }
    await eve_tab.send(send_frame(type("C", (), {"pk": 10**9})(), "nowhere"))
    assert (await eve_tab.receive_type("error"))["detail"] == error[
        "detail"
    ]  # missing and forbidden look alike
    assert await bob_tab.nothing_more()
    assert not await Message.objects.aexists()


async def test_a_reply_names_only_a_message_of_its_own_conversation(connect, ada, bob, eve, team):
    # given a message Ada just sent to Eve, in a conversation Bob is not in (acknowledged, not stored yet)
    private = await sync_to_async(make_conversation)(ada, eve, kind="direct")
    await sync_to_async(initialise_counter)(private.pk)
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    await ada_tab.send(secret := send_frame(private, "just between us"))
    parent = (await ada_tab.ack_for(secret["client_id"]))["message"]
    # when Bob sends to the team as a reply to it (its id learnt somehow)
    await bob_tab.send(frame := send_frame(team, "re: that", reply_to=parent["id"]))
    # then it is refused as if no such message existed, and nobody gets it (it went out naming the message)
    error = await bob_tab.ack_for(frame["client_id"])
    assert (error["type"], error["code"]) == ("error", "not_found")
    # and a reply to a team message acknowledged a moment ago goes, naming it
    await ada_tab.send(question := send_frame(team, "lunch?"))
    asked = (await ada_tab.ack_for(question["client_id"]))["message"]
    await bob_tab.send(answer := send_frame(team, "yes", reply_to=asked["id"]))
    replied = (await bob_tab.ack_for(answer["client_id"]))["message"]
    assert (replied["reply_to"], replied["seq"]) == (asked["id"], asked["seq"] + 1)  # the refusal took no seq
    seen = []
    while not seen or seen[-1] != "yes":
        seen.append((await ada_tab.receive_type("message.new", skip=("presence",)))["message"]["body"])
    assert "re: that" not in seen


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_json"),
        ({"type": "message.shout"}, "unknown_type"),
        ({"no": "type"}, "unknown_type"),
        (
            {"type": "message.send", "conversation": "1", "body": "x", "client_id": str(uuid.uuid4())},
            "invalid",
        ),
        ({"type": "message.send", "conversation": 1, "body": "", "client_id": str(uuid.uuid4())}, "invalid"),
        (
            {"type": "message.send", "conversation": 1, "body": "   ", "client_id": str(uuid.uuid4())},
            "invalid",
        ),
        (
            {
                "type": "message.send",
                "conversation": 1,
                "body": "\u200b\u200d",
                "client_id": str(uuid.uuid4()),
            },
            "invalid",
        ),
        (
            {"type": "message.send", "conversation": 1, "body": "x" * 10_001, "client_id": str(uuid.uuid4())},
            "invalid",
        ),
        ({"type": "message.send", "conversation": 1, "body": "x", "client_id": "not-a-uuid"}, "invalid"),
        (
            {
                "type": "message.send",
                "conversation": 1,
                "body": "x",
                "client_id": str(uuid.uuid4()),
                "reply_to": 5,
            },
            "invalid",
        ),
        (
            {
                "type": "message.send",
                "conversation": 1,
                "body": "x",
                "client_id": str(uuid.uuid4()),
                "attachments": "all",
            },
            "invalid",
        ),
        ({"type": "typing", "conversation": 1, "state": "maybe"}, "invalid"),
        ({"type": "sync", "since": {"abc": 1}}, "invalid"),
        ({"type": "sync", "since": {"1": -1}}, "invalid"),
        ({"type": "message.send", "body": "x" * 70_000}, "too_large"),
    ],
)
async def test_bad_frames_get_an_error_frame_and_the_socket_stays_open(connect, ada, frame, code):
    tab = await connect(ada)
    await tab.send(frame)
    error = await tab.receive_type("error")
    assert error["code"] == code
    await tab.send({"type": "ping"})
    assert await tab.receive_type("pong") == {"type": "pong"}
    assert not await Message.objects.aexists()


async def test_a_message_carries_its_attachments_to_every_member(connect, ada, bob, team):
    from channels.db import database_sync_to_async

    from tests.files.factories import StoredFileFactory

    picture = await database_sync_to_async(StoredFileFactory)(
        owner=ada, name="chart.png", content_type="image/png", width=4, height=3
    )
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    frame = send_frame(team, "The chart", attachments=[str(picture.id)])
    await ada_tab.send(frame)
    acked = (await ada_tab.ack_for(frame["client_id"]))["message"]
    received = (await bob_tab.receive_type("message.new"))["message"]
    assert received == acked
    assert [(a["id"], a["name"], a["width"]) for a in received["attachments"]] == [
        (str(picture.id), "chart.png", 4)
    ]
