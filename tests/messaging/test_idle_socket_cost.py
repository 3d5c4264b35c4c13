"""What an idle socket keeps: no Redis connection of its own (a worker's sockets share its few connections to
Redis; Django would otherwise give each socket's context its own cache client, core.cache), no task of its
own, a shallow stack of coroutines and no copy of its token (docs/benchmarks.md, "Idle socket memory")."""

import asyncio
import collections
import gc
import types

import pytest
from channels.db import database_sync_to_async
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from core.redis import get_redis
from messaging.consumers import ChatConsumer
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


async def test_an_idle_socket_waits_for_its_next_frame_without_a_task_of_its_own(connect):
    """An open socket is one coroutine, the server's (here the test communicator's), waiting in `receive`:
    no task per socket beside it (Channels' own loop keeps one, and the last message it handled), no writer
    task, no follow-up left over from its connect and first sync."""
    users = await database_sync_to_async(lambda: [UserFactory() for _ in range(SOCKETS)])()
    await database_sync_to_async(make_conversation)(*users)
    first = await connect(users[0])  # the worker's own tasks (the hub's reader, the heartbeat) run from here
    await first.send({"type": "ping"})
    await first.receive_type("pong")
    await writers_done()
    before = len(asyncio.all_tasks())

    for user in users[1:]:
        client = await connect(user)
        await client.send({"type": "ping"})
        await client.receive_type("pong")
    await writers_done()

    assert len(asyncio.all_tasks()) - before == SOCKETS - 1  # each socket's one: the server runs it in it


async def writers_done() -> None:
    """Let the writer tasks of sockets that still send what they were handed end. Under the test's
    communicator (plain ASGI `send`) a socket sends through a writer task while it has frames queued: each
    newcomer's presence reaches the others that way, and ends a moment after the pong that counts."""
    await asyncio.gather(*(task for task in asyncio.all_tasks() if task.get_name() == "socket-writer"))


def coroutines() -> collections.Counter[str]:
    return collections.Counter(
        # type(), not isinstance(), which asks lazy objects (Django's) for __class__ and sets them up
        obj.__qualname__
        for obj in gc.get_objects()
        if type(obj) is types.CoroutineType
    )


async def test_an_idle_socket_is_one_shallow_stack_of_coroutines(connect):
    """What stays suspended for as long as a socket is open: the server's call into the application, the way
    in (origin, token, route: one coroutine, not a middleware each, each with its own copy of the scope), the
    consumer, and its wait for the next frame — nothing per frame it has handled."""
    users = await database_sync_to_async(lambda: [UserFactory() for _ in range(SOCKETS)])()
    await database_sync_to_async(make_conversation)(*users)
    first = await connect(users[0])
    await first.send({"type": "ping"})
    await first.receive_type("pong")
    before = coroutines()

    for user in users[1:]:
        client = await connect(user)
        await client.send({"type": "ping"})
        await client.receive_type("pong")

    after = coroutines()
    after.subtract(before)
    per_socket = {name: count / (SOCKETS - 1) for name, count in after.items() if count}
    # ProtocolTypeRouter, WebSocketEntry, the consumer's app and loop, the test communicator's `receive`
    assert sum(per_socket.values()) <= 5, per_socket


def users_in_memory() -> int:
    return sum(1 for obj in gc.get_objects() if type(obj) is User)


async def test_an_idle_socket_keeps_no_user_instance(connect):
    """A socket keeps its user's id (and the sender payload it sends with), not the User instance its token
    was checked with (~1.5 KiB with its model state): a write loads the user where it runs."""
    users = await database_sync_to_async(lambda: [UserFactory() for _ in range(SOCKETS)])()
    await database_sync_to_async(make_conversation)(*users)
    first = await connect(users[0])
    await first.send({"type": "ping"})
    await first.receive_type("pong")
    gc.collect()
    before = users_in_memory()  # the test's own, and whatever the worker keeps once

    for user in users[1:]:
        client = await connect(user)
        await client.send({"type": "ping"})
        await client.receive_type("pong")
    gc.collect()

    assert users_in_memory() == before


async def test_an_open_socket_keeps_no_copy_of_its_token(connect):
    """The token in the socket's URL is read once, when it connects: the socket does not keep it for its
    life."""
    user = await database_sync_to_async(UserFactory)()
    await database_sync_to_async(make_conversation)(user)
    token = str(await database_sync_to_async(AccessToken.for_user)(user))
    client = await connect(user, token=token)
    await client.send({"type": "ping"})
    await client.receive_type("pong")

    consumers = [obj for obj in gc.get_objects() if type(obj) is ChatConsumer]

    assert consumers
    assert all(token.encode() not in consumer.scope["query_string"] for consumer in consumers)
