"""Role changes over the socket: a `member.updated` event of the conversation reaches every member's sockets
live (the one whose role changed too, so that their app shows what they may now do) and no outsider's, the
hand-over to a new owner when the last one leaves included, and `sync` replays it."""

import pytest
from channels.db import database_sync_to_async

from messaging import services
from messaging.models import Membership
from tests.messaging.test_event_log import cursor_of, replay
from tests.messaging.test_socket_events import forget_recent_log

pytestmark = pytest.mark.django_db(transaction=True)


def set_role(conversation, actor, user, role: str) -> None:
    owner = Membership.objects.select_related("conversation").get(user=actor, conversation=conversation)
    services.member_role_set(actor=owner, user_id=user.pk, role=role)


async def test_a_role_change_reaches_every_members_sockets_and_no_outsider(connect, ada, bob, eve, team):
    ada_tab, bob_tab, eve_tab = await connect(ada), await connect(bob), await connect(eve)
    # when Ada makes Bob an owner
    await database_sync_to_async(set_role)(team, ada, bob, "owner")
    # then both members' sockets hear it, Bob's own too, in the conversation's order
    for tab in (ada_tab, bob_tab):
        assert await tab.receive_type("member.updated") == {
            "type": "member.updated",
            "seq": 1,
            "conversation": team.pk,
            "user": bob.pk,
            "role": "owner",
        }
    assert await eve_tab.nothing_more()


async def test_the_new_owner_hears_of_the_hand_over_when_the_last_owner_leaves(connect, ada, bob, team):
    bob_tab = await connect(bob)
    # when Ada, the only owner, leaves
    leaving = await Membership.objects.select_related("conversation").aget(user=ada, conversation=team)
    await database_sync_to_async(services.conversation_leave)(membership=leaving)
    # then Bob hears that he is the owner, then that she left
    promoted = await bob_tab.receive_type("member.updated")
    assert (promoted["user"], promoted["role"]) == (bob.pk, "owner")
    left = await bob_tab.receive_type("membership")
    assert (left["seq"], left["user"], left["state"]) == (promoted["seq"] + 1, ada.pk, "removed")


async def bob_away_while_roles_change(connect, ada, bob, team) -> int:
    """Bob's cursor, then while he is away Ada makes him an admin, then an owner, and steps down."""
    bob_tab = await connect(bob)
    cursor = await cursor_of(bob_tab, team)
    await bob_tab.close()

    def change() -> None:
        set_role(team, ada, bob, "admin")
        set_role(team, ada, bob, "owner")
        set_role(team, ada, ada, "member")

    await database_sync_to_async(change)()
    return cursor


async def test_role_changes_made_while_away_are_replayed_by_sync_in_order(connect, ada, bob, team):
    cursor = await bob_away_while_roles_change(connect, ada, bob, team)
    # when he comes back
    bob_tab = await connect(bob, sync=False)
    frames, done = await replay(bob_tab, {team.pk: cursor})
    # then each change arrives once, in order, from the recent log
    assert [(f["type"], f["user"], f["role"]) for f in frames] == [
        ("member.updated", bob.pk, "admin"),
        ("member.updated", bob.pk, "owner"),
        ("member.updated", ada.pk, "member"),
    ]
    assert [f["seq"] for f in frames] == [cursor + 1, cursor + 2, cursor + 3]
    assert done["conversations"] == {str(team.pk): cursor + 3}


async def test_a_replay_from_storage_gives_each_members_latest_role(connect, ada, bob, team):
    cursor = await bob_away_while_roles_change(connect, ada, bob, team)
    await forget_recent_log(team.pk)
    # when he comes back after the recent log no longer reaches that far
    bob_tab = await connect(bob, sync=False)
    frames, done = await replay(bob_tab, {team.pk: cursor})
    # then the end state: his step to admin, which his step to owner replaces, is left out
    assert [(f["seq"], f["user"], f["role"]) for f in frames] == [
        (cursor + 2, bob.pk, "owner"),
        (cursor + 3, ada.pk, "member"),
    ]
    assert done["conversations"] == {str(team.pk): cursor + 3}
