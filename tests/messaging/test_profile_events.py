"""A new display name is live: the people who share a conversation with its owner hear of it at once
(`user.updated`), and the owner's open sockets put it on the messages they send next."""

import pytest
from asgiref.sync import sync_to_async

from tests.messaging.test_socket_events import send_and_ack, sentinel

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_new_display_name_reaches_those_who_share_a_conversation_and_the_next_sends(
    connect, as_user, ada, bob, eve, team, elsewhere
):
    ada_tab, bob_tab, eve_tab = await connect(ada), await connect(bob), await connect(eve)

    response = await sync_to_async(as_user(ada).patch)(
        "/api/v1/users/me/", {"display_name": "Ada Lovelace"}, format="json"
    )

    assert response.status_code == 200
    assert (await bob_tab.receive_type("user.updated"))["user"] == {
        "id": ada.pk,
        "username": "ada",
        "display_name": "Ada Lovelace",
        "avatar_url": None,
    }
    # ada's open tab hears of her account change, and her next message carries the new name
    await ada_tab.receive_type("account", skip=("presence", "user.updated"))
    await send_and_ack(ada_tab, team.pk, "renamed")
    heard = await bob_tab.receive_type("message.new")
    assert heard["message"]["sender"]["display_name"] == "Ada Lovelace"
    # eve shares no conversation with ada: her next event is bob's sentinel, no name change before it
    await sentinel(bob_tab, elsewhere.pk)
    assert (await eve_tab.receive_type("message.new"))["message"]["body"] == "sentinel"


async def test_a_new_picture_reaches_those_who_share_a_conversation_and_messages_stay_lean(
    connect, as_user, ada, bob, eve, team, elsewhere, settings, tmp_path
):
    """Bob sees ada's new picture at once (its URL in `user.updated`, as the users list gives it), and again
    when she removes it; her messages' `sender` carries no picture (the web app looks it up)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    png = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 120, 200)).save(png, format="PNG")
    ada_tab, bob_tab, eve_tab = await connect(ada), await connect(bob), await connect(eve)

    response = await sync_to_async(as_user(ada).put)(
        "/api/v1/users/me/avatar/",
        {"avatar": SimpleUploadedFile("ada.png", png.getvalue(), "image/png")},
        format="multipart",
    )

    assert response.status_code == 200
    url = response.json()["avatar_url"]
    assert url.startswith(f"/api/v1/users/{ada.pk}/avatar/?v=")
    assert (await bob_tab.receive_type("user.updated"))["user"] == {
        "id": ada.pk,
        "username": "ada",
        "display_name": ada.display_name,
        "avatar_url": url,
    }
    listed = await sync_to_async(as_user(bob).get)("/api/v1/users/", {"ids": str(ada.pk)})
    assert listed.json()["results"][0]["avatar_url"] == url

    await ada_tab.receive_type("account", skip=("presence", "user.updated"))
    await send_and_ack(ada_tab, team.pk, "with a face")
    heard = await bob_tab.receive_type("message.new")
    assert set(heard["message"]["sender"]) == {"id", "username", "display_name"}

    removed = await sync_to_async(as_user(ada).delete)("/api/v1/users/me/avatar/")
    assert removed.status_code == 200
    assert (await bob_tab.receive_type("user.updated"))["user"]["avatar_url"] is None
    # eve shares no conversation with ada: nothing of her picture reaches eve
    await sentinel(bob_tab, elsewhere.pk)
    assert (await eve_tab.receive_type("message.new"))["message"]["body"] == "sentinel"
