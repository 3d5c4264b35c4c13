"""The delivery promise on the real stack (2 uvicorn web workers behind nginx, Celery on RabbitMQ, Redis,
PostgreSQL): every acknowledged message is stored exactly once and delivered to every member exactly once, in
seq order — across workers, and through the death of any worker or the restart of Redis, RabbitMQ or
PostgreSQL."""

import asyncio
import subprocess
from collections import Counter

import pytest

from tests import slot
from tests.stack.client import ChatClient, wait_until
from tests.stack.conftest import WS_NGINX, postgresql_down, stack_command, worker_ws

pytestmark = pytest.mark.stack
STREAM_RATE = 40  # sends per second during a fault
STREAM_LENGTH = 120


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
            others = sorted(r["seq"] for r in client.received if r["seq"] in missing)
            raise AssertionError(
                f"acknowledged seqs {missing} never reached {client.user.username} on {client.url} "
                f"({client.reconnects} reconnects; other messages received at seqs {others}; last seqs "
                f"received {[r['seq'] for r in client.received[-5:]]})"
            ) from None
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
    ada_client, bob_client = ChatClient(worker_ws(1), ada), ChatClient(worker_ws(2), bob)
    await started(ada_client, bob_client)
    acked = []
    for n in range(30):
        sender = ada_client if n % 2 == 0 else bob_client
        acked.append(await sender.send(conversation, f"turn {n}"))
    await check_delivered_and_stored(stack, [ada_client, bob_client], acked, conversation)
    assert [m["body"] for m in bob_client.received] == [f"turn {n}" for n in range(30)]
    await stopped(ada_client, bob_client)


async def stream_through_fault(stack, clients, fault) -> list[dict]:
    """The first client streams 120 messages to all; `fault` strikes once 30 are acknowledged. Every send is
    retried with its client_id until acknowledged; then every acknowledged message must be delivered once
    to everyone, in order, and stored once."""
    conversation = stack.group(*[client.user for client in clients])
    await started(*clients)
    acked: list[dict] = []
    sending = asyncio.create_task(stream(clients[0], conversation, STREAM_LENGTH, acked))
    await wait_until(lambda: len(acked) >= 30)
    await fault(acked)
    await sending
    await check_delivered_and_stored(stack, clients, acked, conversation)
    await stopped(*clients)
    assert len(acked) == STREAM_LENGTH
    return acked


def on_workers(stack, count: int = 2) -> list[ChatClient]:
    """One user per worker, connected straight to it."""
    return [ChatClient(worker_ws(index), stack.user()) for index in range(1, count + 1)]


async def test_killing_a_web_worker_loses_nothing(stack):
    clients = [ChatClient(WS_NGINX, stack.user()) for _ in range(4)]

    async def kill_worker(acked):
        await asyncio.to_thread(stack_command, "kill-worker", "1")
        await wait_until(lambda: any(client.reconnects for client in clients))  # someone was on it
        await asyncio.to_thread(stack_command, "start-worker", "1")

    await stream_through_fault(stack, clients, kill_worker)


async def test_killing_the_celery_workers_loses_nothing(stack):
    async def kill_celery(acked):
        await asyncio.to_thread(stack_command, "kill-celery")
        await wait_until(lambda: len(acked) >= 60)  # acknowledged while nothing stores them
        await asyncio.to_thread(stack_command, "start-celery")

    await stream_through_fault(stack, on_workers(stack), kill_celery)


def run_quietly(*command: str, timeout: int = 60, check: bool = True) -> None:
    subprocess.run(list(command), check=check, capture_output=True, timeout=timeout)


async def test_a_redis_restart_fails_sends_loudly_and_loses_nothing(stack):
    clients = on_workers(stack)

    async def restart_redis(acked):
        shutdown = ("redis-cli", "-p", str(slot.REDIS_PORT), "shutdown", "nosave")
        await asyncio.to_thread(run_quietly, *shutdown, check=False)
        await asyncio.to_thread(
            run_quietly,
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            str(slot.REDIS_PORT),
            "--save",
            "",
            "--appendonly",
            "no",
        )

    await stream_through_fault(stack, clients, restart_redis)
    # The sender noticed: an `unavailable` error frame, or its socket was closed (1012, or its channel-layer
    # connection broke) and it reconnected; either way its unacknowledged sends were retried, never lost.
    assert clients[0].reconnects or any(e["code"] == "unavailable" for e in clients[0].errors)


@pytest.mark.stops_shared_service  # RabbitMQ, which every lane of `make test` shares
async def test_a_rabbitmq_outage_fails_sends_loudly_and_loses_nothing(stack):
    clients = on_workers(stack)

    async def stop_and_start_rabbitmq(acked):
        await asyncio.to_thread(run_quietly, "rabbitmqctl", "-q", "stop_app")
        await wait_until(lambda: any(e["code"] == "unavailable" for e in clients[0].errors))
        await asyncio.to_thread(run_quietly, "rabbitmqctl", "-q", "start_app", timeout=120)
        await asyncio.to_thread(run_quietly, "rabbitmqctl", "-q", "await_startup", timeout=120)

    await stream_through_fault(stack, clients, stop_and_start_rabbitmq)


async def test_a_postgresql_restart_delays_storage_and_loses_nothing(stack):
    async def restart_postgresql(acked):
        with postgresql_down(stack):
            await wait_until(lambda: len(acked) >= 60)  # acknowledged and delivered while nothing stores

    await stream_through_fault(stack, on_workers(stack), restart_postgresql)
