"""A preview reaches members over the socket: live as a message.updated event, and on sync to one who was
away; never to someone outside the conversation."""

import pytest
from channels.db import database_sync_to_async

from messaging import services
from previews.tasks import unfurl_message_task
from tests.messaging.factories import store_message
from tests.messaging.test_event_log import cursor_of, replay
from tests.previews.sites import Site, page

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_preview_arrives_live_and_on_sync(connect, allow_site: Site, ada, bob, eve, team):
    url = allow_site.serve("/post", page("A post", "Worth reading"))
    bob_tab, eve_tab = await connect(bob), await connect(eve)
    cursor = await cursor_of(bob_tab, team)
    message = await database_sync_to_async(store_message)(team, ada, seq=cursor + 1, body=f"new post {url}")
    # when the worker unfurls it
    await database_sync_to_async(unfurl_message_task)(str(message.id))
    # then bob sees the message update with its preview, live
    # (the message itself was written straight to the database: bob's socket fills it in first)
    updated = await bob_tab.receive_type("message.updated", skip=("presence", "message.new"))
    assert updated["message"]["id"] == str(message.id)
    assert updated["message"]["edited_at"] is None  # a preview is not an edit
    assert updated["message"]["previews"] == [
        {"url": url, "title": "A post", "description": "Worth reading", "site_name": "", "image": None}
    ]
    assert await eve_tab.nothing_more()
    # and a client that was away gets it on sync, in order
    later_tab = await connect(bob, sync=False)
    frames, _ = await replay(later_tab, {team.pk: cursor})
    assert [f["type"] for f in frames] == ["message.new", "message.updated"]
    assert frames[-1]["message"]["previews"][0]["title"] == "A post"


async def test_a_link_to_an_internal_address_brings_no_update(connect, site: Site, ada, bob, team):
    internal = site.serve("/admin", page("Internal admin"))
    bob_tab = await connect(bob)
    cursor = await cursor_of(bob_tab, team)
    body = f"{internal} http://169.254.169.254/latest/meta-data/ http://10.0.0.1/ http://[::1]/"
    message = await database_sync_to_async(store_message)(team, ada, seq=cursor + 1, body=body)
    await database_sync_to_async(unfurl_message_task)(str(message.id))
    # a reaction after it: the next event bob sees is that reaction, not an update with a preview
    await database_sync_to_async(services.reaction_add)(user=ada, message_id=message.id, emoji="👍")
    frame = await bob_tab.receive_type("reaction", skip=("presence", "message.new"))
    assert frame["seq"] == message.seq + 1
    assert site.hits == {}
