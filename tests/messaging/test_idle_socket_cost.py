"""What an idle socket keeps: no Redis connection of its own. A worker's sockets share its few connections to
Redis; Django would otherwise give each socket's context its own cache client (core.cache)."""

import pytest
from channels.db import database_sync_to_async

from core.redis import get_redis
from tests.accounts.factories import UserFactory
from tests.messaging.factories import make_conversation

pytestmark = pytest.mark.django_db(transaction=True)
SOCKETS = 20


def redis_clients() -> int:
    """Connections open to the tests' Redis database."""
    client = get_redis()
    database = client.connection_pool.connection_kwargs.get("db", 0)
    return sum(1 for entry in client.client_list() if int(entry["db"]) == database)


async def test_idle_sockets_share_the_workers_redis_connections(connect):
    users = await database_sync_to_async(lambda: [UserFactory() for _ in range(SOCKETS)])()
    await database_sync_to_async(make_conversation)(*users)
    await connect(users[0])  # the worker's own connections are open from here on
    before = await database_sync_to_async(redis_clients)()

    for user in users[1:]:
        await connect(user)

    assert await database_sync_to_async(redis_clients)() - before < SOCKETS // 4
