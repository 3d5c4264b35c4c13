"""What moderator actions do to connected sockets: a removed message disappears from every member's screen,
a suspended user's sockets all close with 4403 and cannot come back. The admin is driven with Django's test
client; the sockets go through the Redis pub/sub hub, as across workers."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from accounts import services as account_services
from chatproject.asgi import application
from realtime.close_codes import SUSPENDED
from tests.conftest import run_action
from tests.messaging.conftest import FRAME_TIMEOUT, ORIGIN
from tests.messaging.factories import store_message

pytestmark = pytest.mark.django_db(transaction=True)


async def connect_code(token: str) -> int:
    communicator = WebsocketCommunicator(application, f"/ws/?v=2&token={token}", headers=[ORIGIN])
    connected, _ = await communicator.connect(timeout=FRAME_TIMEOUT)
    assert connected
    output = await communicator.receive_output(timeout=FRAME_TIMEOUT)
    await communicator.wait()
    return output["code"]


async def test_a_removed_message_disappears_live_for_every_member(connect, moderator_client, ada, bob, team):
    # given: ada in two tabs and bob are connected; bob's message is stored
    message = await sync_to_async(store_message)(team, bob)
    tabs = [await connect(ada), await connect(ada), await connect(bob)]
    # when: a moderator removes it in the admin
    await sync_to_async(run_action)(moderator_client, "/admin/messaging/message/", "remove", [message])
    # then
    for tab in tabs:
        removal = await tab.receive_type("message.deleted")
        assert removal == {
            "type": "message.deleted",
            "seq": removal["seq"],
            "conversation": team.pk,
            "id": str(message.pk),
            "by_moderator": True,
        }
        assert removal["seq"] > message.seq


async def test_suspension_closes_every_socket_of_the_user_with_4403(
    connect, moderator_client, ada, bob, team
):
    # given: bob has two sockets, one with an API token; ada is connected too
    _, api_token = await sync_to_async(account_services.api_token_create)(
        user=bob, name="cli", created_by=bob
    )
    bob_tabs = [await connect(bob), await connect(bob, token=api_token)]
    ada_tab = await connect(ada)
    # when
    await sync_to_async(run_action)(
        moderator_client, "/admin/accounts/user/", "suspend", [bob], reason="abuse"
    )
    # then: all of bob's sockets close with 4403, ada's stays open
    for tab in bob_tabs:
        assert await tab.close_code() == SUSPENDED
    await ada_tab.send({"type": "ping"})
    assert await ada_tab.receive_type("pong", skip=("presence",)) == {"type": "pong"}
    # and: bob cannot reconnect, not even with a freshly signed access token
    assert await connect_code(str(AccessToken.for_user(bob))) == SUSPENDED


async def test_a_suspended_owners_bots_are_disconnected_too(connect, moderator_client, ada, bob, team):
    bot = await sync_to_async(account_services.bot_create)(owner=bob, username="bobs-bot")
    _, token = await sync_to_async(account_services.api_token_create)(user=bot, name="bot", created_by=bob)
    bot_tab = await connect(bot, token=token)
    await sync_to_async(run_action)(
        moderator_client, "/admin/accounts/user/", "suspend", [bob], reason="abuse"
    )
    assert await bot_tab.close_code() == SUSPENDED
    assert await connect_code(token) == SUSPENDED


async def test_a_display_name_a_moderator_fixes_is_live(connect, moderator_client, ada, bob, team):
    ada_tab = await connect(ada)
    # when: a moderator renames bob's offensive display name in the admin
    change_page = f"/admin/accounts/user/{bob.pk}/change/"
    response = await sync_to_async(moderator_client.post)(change_page, {"display_name": "Bob R."})
    assert response.status_code == 302
    # then: ada's open tab shows the new name without a reload
    renamed = await ada_tab.receive_type("user.updated")
    assert renamed["user"] == {"id": bob.pk, "username": "bob", "display_name": "Bob R.", "avatar_url": None}


async def test_a_picture_a_moderator_removes_is_gone_live_and_from_storage(
    connect, moderator_client, ada, bob, team, settings, tmp_path
):
    """An offensive picture removed in the admin: ada's open tab shows bob's initials at once, the file is
    deleted; a picture given there is held to the API's rules (an SVG is refused, nothing changes)."""
    import io

    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    png = io.BytesIO()
    Image.new("RGB", (80, 60), (120, 0, 0)).save(png, format="PNG")
    upload = SimpleUploadedFile("bob.png", png.getvalue(), "image/png")
    await sync_to_async(account_services.user_avatar_set)(user=bob, upload=upload)
    stored = bob.avatar.name
    ada_tab = await connect(ada)
    change_page = f"/admin/accounts/user/{bob.pk}/change/"

    svg = SimpleUploadedFile("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml")
    refused = await sync_to_async(moderator_client.post)(
        change_page, {"display_name": bob.display_name, "avatar": svg}
    )
    assert refused.status_code == 200  # the form again, with its error
    await sync_to_async(bob.refresh_from_db)()
    assert bob.avatar.name == stored

    removed = await sync_to_async(moderator_client.post)(
        change_page, {"display_name": bob.display_name, "avatar-clear": "on"}
    )

    assert removed.status_code == 302
    heard = await ada_tab.receive_type("user.updated")
    assert heard["user"]["id"] == bob.pk
    assert heard["user"]["avatar_url"] is None
    await sync_to_async(bob.refresh_from_db)()
    assert bob.avatar.name == ""
    assert not await sync_to_async(default_storage.exists)(stored)
