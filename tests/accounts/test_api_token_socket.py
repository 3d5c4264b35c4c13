"""Bots listen on the socket with an API token in `?token=`."""

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser

from accounts import services, tokens
from accounts.ws_auth import authenticate, still_valid
from tests.accounts.factories import UserFactory
from tests.messaging.conftest import connect  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def owner(transactional_db):
    return UserFactory(username="owner")


@pytest.fixture
def bot_token(owner):
    bot = services.bot_create(owner=owner, username="listener")
    return bot, services.api_token_create(user=bot, name="ws", created_by=owner)


async def test_a_bot_listens_with_its_api_token(connect, bot_token):  # noqa: F811
    bot, (_, raw) = bot_token
    tab = await connect(bot, token=raw)
    await tab.send({"type": "ping"})
    assert await tab.receive_type("pong") == {"type": "pong"}


@pytest.fixture
def revoked(bot_token):
    _, (token, raw) = bot_token
    services.api_token_revoke(token=token)
    return raw


def test_a_revoked_api_token_does_not_authenticate_a_socket(revoked):
    # (an anonymous scope is closed with 4401, as tests/messaging/test_socket_events.py shows)
    assert isinstance(async_to_sync(authenticate)(revoked)[0], AnonymousUser)


def test_a_bots_socket_stops_being_valid_once_its_owner_is_deactivated(bot_token, owner):
    # The check a socket makes once it listens (a revocation meanwhile would pass it by) reads the bot's owner
    # when the bot is one: it is not loaded with every user.
    bot, (token, _) = bot_token
    session = tokens.api_token_session(token.pk)
    assert async_to_sync(still_valid)(user_id=bot.pk, session=session)

    owner.is_active = False
    owner.save(update_fields=["is_active"])

    assert not async_to_sync(still_valid)(user_id=bot.pk, session=session)
