"""Resume restores everything (issue #27, docs/protocol.md "Events and cursors"): every change members see is
an event of its conversation's one order; `sync` replays all of them — from the recent log or from storage —
exactly once, in order, in pages, with compaction that never shows what was removed; a client that lists
every conversation it knows hears of those it joined or left; a retry of a message acknowledged before
Redis lost its data is recognised from storage."""

import asyncio
import re
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from rest_framework_simplejwt.tokens import AccessToken

from accounts import services as account_services
from chatproject.asgi import application
from core.redis import get_redis
from messaging import services
from messaging.delivery.eventlog import initialise_counter
from messaging.models import Membership, Message
from realtime.redis_watch import EPOCH_KEY
from tests.accounts.factories import UserFactory
from tests.conftest import start_persistence_worker
from tests.messaging.conftest import FRAME_TIMEOUT, ORIGIN, Client
from tests.messaging.factories import make_conversation, store_message
from tests.messaging.test_socket_events import forget_recent_log, send_and_ack, send_frame, wait_stored

pytestmark = pytest.mark.django_db(transaction=True)

ORDERED = {
    "message.new",
    "message.updated",
    "message.deleted",
    "reaction",
    "read",
    "membership",
    "conversation.updated",
}


async def cursor_of(tab, conversation) -> int:
    """The client's cursor after a sync: what sync.done says."""
    await tab.send({"type": "sync", "since": {str(conversation.pk): 0}})
    return (await tab.receive_type("sync.done", skip=("presence", *ORDERED)))["conversations"][
        str(conversation.pk)
    ]


async def replay(tab, since: dict, **fields) -> tuple[list[dict], dict]:
    """Send one sync; the ordered events it brings and its sync.done."""
    await tab.send({"type": "sync", "since": {str(k): v for k, v in since.items()}, **fields})
    frames: list[dict] = []
    while True:
        frame = await tab.receive()
        if frame["type"] == "sync.done":
            return frames, frame
        if frame["type"] != "presence":
            frames.append(frame)


async def changes_while_bob_is_away(ada_tab, ada, team, moderator_target_body="spam") -> dict:
    """Every kind of change a member can miss, made by ada (and a moderator) while bob is away."""
    cy = await database_sync_to_async(UserFactory)(username="cy")
    first = await send_and_ack(ada_tab, team.pk, moderator_target_body)
    second = await send_and_ack(ada_tab, team.pk, "keep me")
    for message in (first, second):  # what can be changed is what is stored
        await wait_stored(message["id"])
    owner = await Membership.objects.select_related("conversation").aget(user=ada, conversation=team)

    def change() -> None:
        services.message_edit(user=ada, message_id=first["id"], body="edited spam")
        services.reaction_add(user=ada, message_id=second["id"], emoji="👍")
        services.read_mark(membership=owner, seq=second["seq"])
        services.conversation_update(membership=owner, title="Renamed")
        services.member_add(actor=owner, user_id=cy.pk)
        services.member_remove(actor=owner, user_id=cy.pk)
        services.message_soft_delete(message=Message.objects.get(pk=first["id"]), by_moderator=True)

    await database_sync_to_async(change)()
    return {"first": first, "second": second, "cy": cy}


def assert_once_in_order(frames: list[dict]) -> None:
    seqs = [frame["seq"] for frame in frames if frame["type"] in ORDERED]
    assert seqs == sorted(set(seqs)), f"events out of order or repeated: {seqs}"


async def test_sync_replays_every_kind_of_change_made_while_away_once_and_in_order(
    connect, ada, bob, team, persistence_worker
):
    # given bob saw everything up to now, then went away
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    cursor = await cursor_of(bob_tab, team)
    await bob_tab.close()
    made = await changes_while_bob_is_away(ada_tab, ada, team)
    # when he comes back and syncs from his cursor
    bob_tab = await connect(bob, sync=False)
    frames, done = await replay(bob_tab, {team.pk: cursor})
    # then every change arrives once, in order, and the removed message's words never do
    assert_once_in_order(frames)
    assert [f["type"] for f in frames] == [
        "message.new",
        "message.new",
        "message.updated",
        "reaction",
        "read",
        "conversation.updated",
        "membership",
        "membership",
        "message.deleted",
    ]
    assert "spam" not in str(frames)
    assert frames[0]["message"]["deleted"] is True  # the journal's copy shows it as it is now
    assert frames[-1] == {
        "type": "message.deleted",
        "seq": frames[-1]["seq"],
        "conversation": team.pk,
        "id": made["first"]["id"],
        "by_moderator": True,
    }
    assert frames[4] == {
        "type": "read",
        "seq": frames[4]["seq"],
        "conversation": team.pk,
        "user": ada.pk,
        "up_to": made["second"]["seq"],
    }
    assert [(f["user"], f["state"]) for f in frames[6:8]] == [
        (made["cy"].pk, "added"),
        (made["cy"].pk, "removed"),
    ]
    assert frames[5]["conversation"]["title"] == "Renamed"
    assert done == {"type": "sync.done", "conversations": {str(team.pk): frames[-1]["seq"]}, "more": False}


async def test_a_replay_from_storage_reaches_the_same_state_compacted(
    connect, ada, bob, team, persistence_worker
):
    # given the same changes, all stored, and a recent log that no longer reaches back that far
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    cursor = await cursor_of(bob_tab, team)
    await bob_tab.close()
    await changes_while_bob_is_away(ada_tab, ada, team)
    await forget_recent_log(team.pk)
    # when
    bob_tab = await connect(bob, sync=False)
    frames, done = await replay(bob_tab, {team.pk: cursor})
    # then: the end state, without the steps a later event makes redundant
    assert_once_in_order(frames)
    assert [f["type"] for f in frames] == [
        "message.new",  # the removed message, as it is now
        "message.new",
        "reaction",
        "read",
        "conversation.updated",
        "membership",
        "membership",
    ]
    assert frames[0]["message"] | {"seq": 0} == frames[0]["message"] | {"seq": 0, "deleted": True, "body": ""}
    assert "spam" not in str(frames)
    newest = await database_sync_to_async(lambda: team.events.order_by("-seq").first().seq)()
    assert done["conversations"] == {str(team.pk): newest}


async def test_a_long_absence_is_replayed_in_pages_exactly_once(connect, ada, bob, team):
    # given 700 stored messages bob has not seen
    def fill() -> list[str]:
        return [str(store_message(team, ada, seq, f"m{seq}").id) for seq in range(1, 701)]

    sent = await database_sync_to_async(fill)()
    bob_tab = await connect(bob, sync=False)
    # when he pages through them
    received, since, pages = [], {team.pk: 0}, 0
    while True:
        frames, done = await replay(bob_tab, since)
        pages += 1
        received += [f["message"]["id"] for f in frames]
        since = {int(k): v for k, v in done["conversations"].items()}
        if not done["more"]:
            break
    # then: two pages of at most 500, every message once, in order
    assert pages == 2
    assert received == sent
    assert since == {team.pk: 700}


async def test_a_cursor_past_the_conversation_s_newest_event_does_not_silence_it(connect, ada, bob, team):
    # given a message in the team, and bob's client holding a cursor past anything the team has (kept from
    # before a restore, or a client's bug)
    ada_tab = await connect(ada)
    first = await send_and_ack(ada_tab, team.pk)
    bob_tab = await connect(bob, sync=False)
    # when he syncs from it
    await bob_tab.send({"type": "sync", "since": {str(team.pk): 1_000_000}})
    done = await bob_tab.receive_type("sync.done")
    # then sync.done gives him the team's cursor as it is, and the next message reaches him live (it was
    # dropped as if delivered: seqs up to 1,000,000 counted as his already)
    assert done["conversations"] == {str(team.pk): first["seq"]}
    second = await send_and_ack(ada_tab, team.pk)
    assert (await bob_tab.receive_type("message.new"))["message"]["id"] == second["id"]


async def test_a_complete_sync_reports_conversations_joined_and_left_while_away(connect, ada, bob, team):
    # given, while bob was away: he was added to one conversation and removed from another
    bob_tab = await connect(bob)
    left = await database_sync_to_async(make_conversation)(ada, bob, title="Left")
    await database_sync_to_async(initialise_counter)(left.pk)
    cursor = await cursor_of(bob_tab, team)
    await bob_tab.close()

    def change() -> None:
        joined, _ = services.conversation_create(
            creator=ada, kind="group", member_ids=[bob.pk], title="Joined"
        )
        owner = Membership.objects.select_related("conversation").get(user=ada, conversation=left)
        services.member_remove(actor=owner, user_id=bob.pk)

    await database_sync_to_async(change)()
    # when he syncs with every conversation he knows, and one he made up
    bob_tab = await connect(bob, sync=False)
    frames, done = await replay(bob_tab, {team.pk: cursor, left.pk: 0, 999_999: 0}, complete=True)
    # then
    reports = {(f["conversation"]["id"], f["state"]) for f in frames if f["type"] == "membership"}
    joined = await database_sync_to_async(
        lambda: Membership.objects.get(user=bob, conversation__title="Joined")
    )()
    assert reports == {(joined.conversation_id, "added"), (left.pk, "removed"), (999_999, "removed")}
    assert all(f["seq"] is None for f in frames if f["type"] == "membership")
    made_up = next(f for f in frames if f["conversation"]["id"] == 999_999)
    assert made_up["conversation"] == {"id": 999_999}  # nothing is told about an id one made up
    assert done["more"] is False


async def test_a_socket_that_does_not_ask_for_version_2_is_closed_with_4426(bob):
    communicator = WebsocketCommunicator(
        application, f"/ws/?token={AccessToken.for_user(bob)}", headers=[ORIGIN]
    )
    connected, _ = await communicator.connect(timeout=FRAME_TIMEOUT)
    assert connected
    assert (await communicator.receive_output(timeout=FRAME_TIMEOUT))["code"] == 4426
    await communicator.wait()


async def test_the_api_guides_socket_address_opens_a_live_socket(bob, team):
    # given the socket address docs/api.md's first five minutes give an integrator, with Bob's API token
    guide = (Path(django_settings.BASE_DIR) / "docs" / "api.md").read_text()
    address = re.search(r'"wss://chat\.example\.com(/ws/\?[^"]+)"', guide)
    assert address
    _, token = await database_sync_to_async(account_services.api_token_create)(
        user=bob, name="my-script", created_by=bob
    )
    communicator = WebsocketCommunicator(
        application, address.group(1).replace("$TOKEN", token), headers=[ORIGIN]
    )
    connected, _ = await communicator.connect(timeout=FRAME_TIMEOUT)
    assert connected

    # when the script syncs, as the guide says
    tab = Client(communicator)
    await tab.send({"type": "sync", "since": {str(team.pk): 0}})

    # then the socket stays open and answers for Bob's conversation (not closed as a version 1 client, 4426)
    done = await tab.receive_type("sync.done")
    assert str(team.pk) in done["conversations"]
    await tab.close()


async def test_sync_frames_are_rate_limited(connect, bob, team, settings):
    settings.SOCKET_SYNC_RATE_BURST = 3
    settings.SOCKET_SYNC_RATE_PER_SECOND = 0.01
    bob_tab = await connect(bob, sync=False)
    for _ in range(3):
        await bob_tab.send({"type": "sync", "since": {}})
        await bob_tab.receive_type("sync.done")
    await bob_tab.send({"type": "sync", "since": {}})
    assert (await bob_tab.receive_type("error"))["code"] == "rate_limited"


async def test_an_edit_to_the_same_words_is_no_event(connect, ada, bob, team, persistence_worker):
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    message = await send_and_ack(ada_tab, team.pk, "same words")
    await wait_stored(message["id"])
    await bob_tab.receive_type("message.new")
    await ada_tab.send({"type": "message.edit", "message": message["id"], "body": "same words"})
    await send_and_ack(ada_tab, team.pk, "sentinel")
    assert (await bob_tab.receive_type("message.new"))["message"]["body"] == "sentinel"  # nothing before it


def flush_redis_keeping_the_epoch() -> None:
    """Redis lost its data (for the journal), without the epoch change that would close every socket."""
    client = get_redis()
    for key in client.scan_iter(count=1000):
        if key != EPOCH_KEY.encode():
            client.delete(key)


async def test_a_retry_after_redis_lost_its_data_reaches_members_once(connect, ada, bob, team):
    # given a message acknowledged while no worker stores anything yet, then Redis loses its records
    ada_tab, bob_tab = await connect(ada), await connect(bob)
    frame = send_frame(team.pk, "only once")
    await ada_tab.send(frame)
    acked = (await ada_tab.ack_for(frame["client_id"]))["message"]
    await bob_tab.receive_type("message.new")
    await database_sync_to_async(flush_redis_keeping_the_epoch)()
    # when ada's client retries it (it never saw the ack, say): storage does not know it yet
    await ada_tab.send(frame)
    assert (await ada_tab.ack_for(frame["client_id"]))["code"] == "unavailable"
    # and once what was queued is stored, the retry is recognised
    worker = await asyncio.to_thread(start_persistence_worker)
    try:
        await wait_stored(acked["id"])
        await ada_tab.send(frame)
        again = (await ada_tab.ack_for(frame["client_id"]))["message"]
        assert (again["id"], again["seq"]) == (acked["id"], acked["seq"])
        # then bob saw it once: the next thing he gets is ada's next message
        await send_and_ack(ada_tab, team.pk, "next")
        assert (await bob_tab.receive_type("message.new"))["message"]["body"] == "next"
        assert await database_sync_to_async(Message.objects.filter(client_id=frame["client_id"]).count)() == 1
    finally:
        await asyncio.to_thread(worker.wait_idle)
        await asyncio.to_thread(worker.stop)
