"""A person's own settings reach their other devices live: a conversation's notification level (muting),
their level per kind of conversation, a thread's read marker and following a thread, saved over REST from one
device, arrive at once on every socket of theirs — and on nobody else's."""

import pytest
from asgiref.sync import sync_to_async

from tests.messaging.test_socket_events import sentinel
from tests.messaging.test_threads_api import post, reply

pytestmark = pytest.mark.django_db(transaction=True)

OWN_SETTINGS = (
    "notification_level.updated",
    "notification_preferences.updated",
    "thread.read",
    "thread_follow.updated",
)


async def nothing_private_before_sentinel(tab) -> None:
    """The other member's frames up to the sentinel (message.new "sentinel") hold none of ada's settings."""
    while True:
        frame = await tab.receive()
        assert frame["type"] not in OWN_SETTINGS, frame
        if frame["type"] == "message.new" and frame["message"]["body"] == "sentinel":
            return


async def test_muting_on_one_device_reaches_the_others_and_nobody_else(connect, as_user, ada, bob, team):
    # given: ada on two devices, bob in the same group
    ada_a, ada_b, bob_tab = await connect(ada), await connect(ada), await connect(bob)

    # when: device A mutes the group over REST
    response = await sync_to_async(as_user(ada).patch)(
        f"/api/v1/conversations/{team.pk}/", {"notification_level": "none"}, format="json"
    )

    # then: both of ada's sockets hear it; bob hears nothing of it
    assert response.status_code == 200
    expected = {
        "type": "notification_level.updated",
        "conversation": team.pk,
        "notification_level": "none",
        "muted": True,
    }
    assert await ada_b.receive_type("notification_level.updated") == expected
    assert await ada_a.receive_type("notification_level.updated") == expected
    await sentinel(ada_a, team.pk)
    await nothing_private_before_sentinel(bob_tab)


async def test_unmuting_with_the_older_field_is_announced_too(connect, as_user, ada, team):
    ada_b = await connect(ada)
    client = as_user(ada)
    await sync_to_async(client.patch)(f"/api/v1/conversations/{team.pk}/", {"muted": True}, format="json")
    assert (await ada_b.receive_type("notification_level.updated"))["muted"] is True

    await sync_to_async(client.patch)(f"/api/v1/conversations/{team.pk}/", {"muted": False}, format="json")

    heard = await ada_b.receive_type("notification_level.updated")
    assert (heard["notification_level"], heard["muted"]) == ("default", False)


async def test_a_thread_read_on_one_device_reaches_the_others_and_nobody_else(
    connect, as_user, ada, bob, team
):
    # given: bob replied in ada's thread (stored); ada on two devices
    root = await sync_to_async(post)(as_user(ada), team, "root")
    answer = await sync_to_async(reply)(as_user(bob), team, root, "reply")
    ada_a, ada_b, bob_tab = await connect(ada), await connect(ada), await connect(bob)

    # when: device A reads the thread over REST
    response = await sync_to_async(as_user(ada).post)(
        f"/api/v1/messages/{root['id']}/thread/read/", {"seq": answer["seq"]}, format="json"
    )

    # then: device B hears the thread's new read marker; bob hears nothing of it
    assert response.status_code == 204
    assert await ada_b.receive_type("thread.read") == {
        "type": "thread.read",
        "conversation": team.pk,
        "root": root["id"],
        "up_to": answer["seq"],
    }
    await sentinel(ada_a, team.pk)
    await nothing_private_before_sentinel(bob_tab)


async def test_levels_per_kind_on_one_device_reach_the_others_and_nobody_else(
    connect, as_user, ada, bob, team
):
    ada_b, bob_tab = await connect(ada), await connect(bob)

    response = await sync_to_async(as_user(ada).patch)(
        "/api/v1/users/me/notifications/", {"group": "mentions"}, format="json"
    )

    assert response.status_code == 200
    assert await ada_b.receive_type("notification_preferences.updated") == {
        "type": "notification_preferences.updated",
        "preferences": {"direct": "all", "group": "mentions", "channel": "mentions"},
    }
    await sentinel(ada_b, team.pk)
    await nothing_private_before_sentinel(bob_tab)


async def test_following_and_unfollowing_a_thread_on_one_device_reaches_the_others_and_nobody_else(
    connect, as_user, ada, bob, team
):
    # given: bob's message in the group, nobody replied yet; ada on two devices
    root = await sync_to_async(post)(as_user(bob), team, "root")
    ada_a, ada_b, bob_tab = await connect(ada), await connect(ada), await connect(bob)
    url = f"/api/v1/messages/{root['id']}/thread/follow/"
    heard = {"type": "thread_follow.updated", "conversation": team.pk, "root": root["id"]}

    # when: device A follows the thread, then unfollows it
    followed = await sync_to_async(as_user(ada).put)(url)
    assert followed.status_code == 204
    # then: device B hears each at once (its list of threads, the thread's button follow)
    assert await ada_b.receive_type("thread_follow.updated") == {**heard, "following": True}
    unfollowed = await sync_to_async(as_user(ada).delete)(url)
    assert unfollowed.status_code == 204
    assert await ada_b.receive_type("thread_follow.updated") == {**heard, "following": False}
    assert await ada_a.receive_type("thread_follow.updated") == {**heard, "following": True}
    assert await ada_a.receive_type("thread_follow.updated") == {**heard, "following": False}

    # and unfollowing again changes nothing and tells nobody; bob hears nothing of any of it
    assert (await sync_to_async(as_user(ada).delete)(url)).status_code == 204
    await sentinel(ada_a, team.pk)
    assert (await ada_b.receive_type("message.new"))["message"]["body"] == "sentinel"
    assert await ada_b.nothing_more()
    await nothing_private_before_sentinel(bob_tab)
