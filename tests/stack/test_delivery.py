"""The delivery promise on the real stack (2 Daphne workers behind nginx, Celery on RabbitMQ, Redis,
PostgreSQL): every acknowledged message is stored exactly once and delivered to every member exactly once, in
seq order — across workers, and through the death of any worker or the restart of Redis or RabbitMQ."""

import asyncio
import subprocess
from collections import Counter

import pytest

from tests.stack.client import ChatClient, wait_until
from tests.stack.conftest import WS_NGINX, stack_command, worker_ws

pytestmark = pytest.mark.stack
STREAM_RATE = 40  # sends per second during a fault


def assert_exactly_once_in_order(client: ChatClient, acked: list[dict], conversation_id: int) -> None:
    mine = [m for m in client.received if m["conversation"] == conversation_id]
    counts = Counter(m["id"] for m in mine)
    assert [i for i, n in counts.items() if n > 1] == [], "a message was delivered twice"
    assert {m["id"] for m in acked} <= set(counts), "an acknowledged message was never delivered"
    seqs = [m["seq"] for m in mine]
    assert seqs == sorted(seqs), "messages arrived out of seq order"


async def stream(sender: ChatClient, conversation_id: int, count: int, acked: list[dict]) -> None:
    for n in range(count):
        acked.append(await sender.send(conversation_id, f"stream {n}"))
        await asyncio.sleep(1 / STREAM_RATE)  # an open-loop pace, like a person typing fast


async def check_delivered_and_stored(stack, clients, acked, conversation_id) -> None:
    ids = {m["id"] for m in acked}
    for client in clients:
        try:
            await wait_until(lambda c=client: ids <= {m["id"] for m in c.received}, within=30)
        except AssertionError:
            missing = sorted(m["seq"] for m in acked if m["id"] not in {r["id"] for r in client.received})
            raise AssertionError(f"acknowledged seqs {missing} never reached a member") from None
        assert_exactly_once_in_order(client, acked, conversation_id)
    await wait_until(lambda: len(stack.stored(list(ids))) == len(ids), within=60)
    rows = stack.stored_in(conversation_id)
    assert len({client_id for _, client_id, _ in rows}) == len(rows), "a message was stored twice"
    assert [seq for _, _, seq in rows] == sorted(seq for _, _, seq in rows)


async def started(*clients: ChatClient) -> None:
    for client in clients:
        await client.start()


async def stopped(*clients: ChatClient) -> None:
    for client in clients:
        await client.stop()


async def test_users_on_different_workers_talk_in_order(stack):
    ada, bob = stack.user(), stack.user()
    conversation = stack.group(ada, bob)
    ada_client, bob_client = ChatClient(worker_ws(1), ada.token), ChatClient(worker_ws(2), bob.token)
    await started(ada_client, bob_client)
    acked = []
    for n in range(30):
        sender = ada_client if n % 2 == 0 else bob_client
        acked.append(await sender.send(conversation, f"turn {n}"))
    await check_delivered_and_stored(stack, [ada_client, bob_client], acked, conversation)
    assert [m["body"] for m in bob_client.received] == [f"turn {n}" for n in range(30)]
    await stopped(ada_client, bob_client)


async def test_killing_a_daphne_worker_loses_nothing(stack):
    users = [stack.user() for _ in range(4)]
    conversation = stack.group(users[0], *users[1:])
    clients = [ChatClient(WS_NGINX, user.token) for user in users]
    await started(*clients)
    acked: list[dict] = []
    sending = asyncio.create_task(stream(clients[0], conversation, 120, acked))
    await wait_until(lambda: len(acked) >= 30)
    await asyncio.to_thread(stack_command, "kill-worker", "1")
    await sending
    await asyncio.to_thread(stack_command, "start-worker", "1")
    await check_delivered_and_stored(stack, clients, acked, conversation)
    assert sum(client.reconnects for client in clients) >= 1, "no client was on the killed worker"
    await stopped(*clients)


async def test_killing_the_celery_worker_loses_nothing(stack):
    ada, bob = stack.user(), stack.user()
    conversation = stack.group(ada, bob)
    clients = [ChatClient(worker_ws(1), ada.token), ChatClient(worker_ws(2), bob.token)]
    await started(*clients)
    acked: list[dict] = []
    sending = asyncio.create_task(stream(clients[0], conversation, 120, acked))
    await wait_until(lambda: len(acked) >= 30)
    await asyncio.to_thread(stack_command, "kill-celery")
    await wait_until(lambda: len(acked) >= 60)  # acknowledged while nothing stores them
    await asyncio.to_thread(stack_command, "start-celery")
    await sending
    await check_delivered_and_stored(stack, clients, acked, conversation)
    await stopped(*clients)


def restart_redis() -> None:
    subprocess.run(
        ["redis-cli", "-p", "6379", "shutdown", "nosave"], check=False, capture_output=True, timeout=30
    )
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
        timeout=30,
    )
    subprocess.run(
        ["redis-cli", "-p", "6379", "--no-raw", "ping"], check=True, capture_output=True, timeout=30
    )


def pause_rabbitmq() -> None:
    subprocess.run(["rabbitmqctl", "-q", "stop_app"], check=True, capture_output=True, timeout=60)


def resume_rabbitmq() -> None:
    subprocess.run(["rabbitmqctl", "-q", "start_app"], check=True, capture_output=True, timeout=120)
    subprocess.run(["rabbitmqctl", "-q", "await_startup"], check=True, capture_output=True, timeout=120)


async def test_a_redis_restart_fails_sends_loudly_and_loses_nothing(stack):
    ada, bob = stack.user(), stack.user()
    conversation = stack.group(ada, bob)
    clients = [ChatClient(worker_ws(1), ada.token), ChatClient(worker_ws(2), bob.token)]
    await started(*clients)
    acked: list[dict] = []
    sending = asyncio.create_task(stream(clients[0], conversation, 120, acked))
    await wait_until(lambda: len(acked) >= 30)
    await asyncio.to_thread(restart_redis)
    await sending
    await check_delivered_and_stored(stack, clients, acked, conversation)
    # The sender noticed: an `unavailable` error frame, or its socket dropped (its channel-layer connection
    # broke) and it reconnected; either way unacknowledged sends were retried, never silently lost.
    assert clients[0].reconnects or any(e["code"] == "unavailable" for e in clients[0].errors)
    assert len(acked) == 120
    await stopped(*clients)


async def test_a_rabbitmq_outage_fails_sends_loudly_and_loses_nothing(stack):
    ada, bob = stack.user(), stack.user()
    conversation = stack.group(ada, bob)
    clients = [ChatClient(worker_ws(1), ada.token), ChatClient(worker_ws(2), bob.token)]
    await started(*clients)
    acked: list[dict] = []
    sending = asyncio.create_task(stream(clients[0], conversation, 120, acked))
    await wait_until(lambda: len(acked) >= 30)
    await asyncio.to_thread(pause_rabbitmq)
    await wait_until(lambda: any(e["code"] == "unavailable" for e in clients[0].errors), within=30)
    await asyncio.to_thread(resume_rabbitmq)
    await sending
    await check_delivered_and_stored(stack, clients, acked, conversation)
    assert len(acked) == 120
    await stopped(*clients)
