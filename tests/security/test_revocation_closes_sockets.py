"""Revoking an API token, or retiring a bot, closes the sockets opened with it at once (4401), through the hub
(so on every worker: tests/stack/test_revocation.py proves that across two), and no other socket.
Before, the revoked token was refused for REST and new sockets while an open socket kept reading."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from accounts import services
from accounts.models import ApiToken
from chatproject.asgi import application
from messaging import selectors as messaging_selectors
from realtime.close_codes import UNAUTHENTICATED
from tests.messaging.conftest import ORIGIN
from tests.security.test_attacks import bearer

pytestmark = pytest.mark.django_db(transaction=True)


async def pongs(tab) -> bool:
    await tab.send({"type": "ping"})
    return await tab.receive_type("pong") == {"type": "pong"}


async def test_revoking_an_api_token_closes_its_sockets_and_only_those(connect, ada, team):
    # given: ada's two scripts, each with its own token and socket, and her browser's socket
    _, doomed = await sync_to_async(services.api_token_create)(user=ada, name="old script", created_by=ada)
    _, kept = await sync_to_async(services.api_token_create)(user=ada, name="new script", created_by=ada)
    doomed_tab, doomed_tab_2 = await connect(ada, token=doomed), await connect(ada, token=doomed)
    kept_tab = await connect(ada, token=kept)
    browser_tab = await connect(ada, token=str(AccessToken.for_user(ada)))

    # when: she revokes the old script's token
    token = await ApiToken.objects.aget(name="old script")
    response = await sync_to_async(bearer(ada).delete)(f"/api/v1/tokens/{token.pk}/")
    assert response.status_code == 204

    # then: both its sockets close with 4401 at once; the others carry on
    assert await doomed_tab.close_code() == UNAUTHENTICATED
    assert await doomed_tab_2.close_code() == UNAUTHENTICATED
    assert await pongs(kept_tab)
    assert await pongs(browser_tab)


async def test_retiring_a_bot_closes_every_socket_of_it(connect, ada, team):
    bot = await sync_to_async(services.bot_create)(owner=ada, username="deploys")
    _, one = await sync_to_async(services.api_token_create)(user=bot, name="one", created_by=ada)
    _, two = await sync_to_async(services.api_token_create)(user=bot, name="two", created_by=ada)
    tabs = [await connect(bot, token=one), await connect(bot, token=two)]
    owner_tab = await connect(ada)

    response = await sync_to_async(bearer(ada).delete)(f"/api/v1/bots/{bot.pk}/")

    assert response.status_code == 204
    for tab in tabs:
        assert await tab.close_code() == UNAUTHENTICATED
    assert await pongs(owner_tab)


async def test_revoking_a_bots_token_closes_the_sockets_opened_with_it(connect, ada, team):
    bot = await sync_to_async(services.bot_create)(owner=ada, username="builds")
    _, raw = await sync_to_async(services.api_token_create)(user=bot, name="ci", created_by=ada)
    tab = await connect(bot, token=raw)
    token = await ApiToken.objects.aget(user=bot)

    response = await sync_to_async(bearer(ada).delete)(f"/api/v1/bots/{bot.pk}/tokens/{token.pk}/")

    assert response.status_code == 204
    assert await tab.close_code() == UNAUTHENTICATED


async def test_a_token_revoked_while_its_socket_connects_still_closes_it(ada, team, monkeypatch):
    # given: a token revoked at the worst moment, after the socket's token was checked but before the socket
    # listens for closes (the revocation's close goes out to nobody)
    _, raw = await sync_to_async(services.api_token_create)(user=ada, name="script", created_by=ada)
    load_memberships = messaging_selectors.conversation_ids_for_user

    def revoke_meanwhile(*, user_id):
        services.api_token_revoke(token=ApiToken.objects.get(user=ada))
        return load_memberships(user_id=user_id)

    monkeypatch.setattr(messaging_selectors, "conversation_ids_for_user", revoke_meanwhile)

    # when: the socket finishes connecting
    socket = WebsocketCommunicator(application, f"/ws/?v=2&token={raw}", headers=[ORIGIN])
    connected, _ = await socket.connect(timeout=5)

    # then: it checks its credential once it listens, and closes
    assert connected
    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": UNAUTHENTICATED}
