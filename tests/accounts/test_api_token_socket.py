"""Bots listen on the socket with an API token in `?token=`."""

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser

from accounts import services
from accounts.ws_auth import authenticate
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
