"""Bots listen on the socket with an API token in `?token=`."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services, tokens
from accounts.models import ApiToken
from accounts.ws_auth import authenticate, still_valid
from realtime.close_codes import UNAUTHENTICATED
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


def test_an_api_token_with_a_newline_after_it_does_not_authenticate_a_socket(bot_token):
    # (`?token=pk_…%0A`: the token's pattern ended in `$`, which matches before a final newline too)
    _, (_, raw) = bot_token
    assert not isinstance(async_to_sync(authenticate)(raw)[0], AnonymousUser)
    assert isinstance(async_to_sync(authenticate)(raw + "\n")[0], AnonymousUser)


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


def _tokens(bot, owner, count: int) -> list[str]:
    return [services.api_token_create(user=bot, name=f"t{n}", created_by=owner)[1] for n in range(count)]


def _retiring_queries(bot) -> int:
    with CaptureQueriesContext(connection) as queries:
        services.bot_deactivate(bot=bot)
    return len(queries.captured_queries)


def test_retiring_a_bot_revokes_its_tokens_in_as_many_queries_however_many_it_has(owner):
    # given a bot with one token and a bot with as many as a user may hold
    one = services.bot_create(owner=owner, username="one-token-bot")
    many = services.bot_create(owner=owner, username="many-tokens-bot")
    _tokens(one, owner, 1)
    _tokens(many, owner, services.API_TOKENS_MAX_PER_USER)
    # when both are retired, then retiring the second takes no more queries (not one per token)
    assert _retiring_queries(many) == _retiring_queries(one)
    # and none of their tokens is left unrevoked
    assert not ApiToken.objects.filter(user__in=[one, many], revoked_at__isnull=True).exists()


async def test_retiring_a_bot_closes_the_sockets_of_each_of_its_tokens(connect, owner):  # noqa: F811
    # given a bot listening on two sockets, each with a token of its own
    bot = await sync_to_async(services.bot_create)(owner=owner, username="listener")
    first, second = await sync_to_async(_tokens)(bot, owner, 2)
    tabs = [await connect(bot, token=first), await connect(bot, token=second)]
    # when its owner retires it
    await sync_to_async(services.bot_deactivate)(bot=bot)
    # then both sockets close, 4401 (signed out), and neither token opens one again
    assert [await tab.close_code() for tab in tabs] == [UNAUTHENTICATED, UNAUTHENTICATED]
    for raw in (first, second):
        assert isinstance((await authenticate(raw))[0], AnonymousUser)
