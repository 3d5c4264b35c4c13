"""The delivery promise on a Redis Cluster: the full stack (2 web workers, Celery on RabbitMQ) runs on a
6-node cluster, and the master that holds a conversation's journal and channel is killed (SIGKILL) while its
members talk. Its replica is promoted; sockets on the lost shard resubscribe and catch up; sends during the
failover fail loudly and succeed on retry; every acknowledged message is delivered to every member exactly
once, in order, and stored exactly once — including those acknowledged only to the lost master, since the
durable acknowledgement is RabbitMQ's."""

import asyncio
import subprocess

import pytest

from tests.cluster.conftest import CLUSTER_VHOST, cluster_stack_command, cluster_worker_ws
from tests.stack.client import ChatClient, wait_until
from tests.stack.test_delivery import stream_through_fault

pytestmark = [pytest.mark.stack, pytest.mark.cluster]


async def test_killing_the_master_of_a_conversation_loses_nothing(cluster_stack, redis_cluster):
    clients = [ChatClient(cluster_worker_ws(1 + n % 2), cluster_stack.user()) for n in range(4)]
    killed: list[int] = []

    async def kill_master(acked):
        key = f"seq:{{conv:{acked[0]['conversation']}}}"
        port = redis_cluster.master_of(key)
        await asyncio.to_thread(redis_cluster.kill, port)
        killed.append(port)
        promoted = await asyncio.to_thread(redis_cluster.wait_for_failover, key, port)
        assert promoted != port
        await asyncio.to_thread(redis_cluster.start_node, port)  # back, as a replica of the new master
        await asyncio.to_thread(redis_cluster.wait_until_ok)

    acked = await stream_through_fault(cluster_stack, clients, kill_master)
    assert killed
    assert len({m["seq"] for m in acked}) == len(acked)


def queue_types(vhost: str) -> dict[str, str]:
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "type"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return dict(line.split("\t") for line in listed.stdout.splitlines()[1:] if "\t" in line)


async def test_killing_the_celery_workers_loses_nothing_on_quorum_queues(cluster_stack):
    """The persistence and push queues are quorum queues (on this machine's single-node broker): workers
    killed with tasks unacknowledged have them redelivered, and every acknowledged message is stored once."""
    types = queue_types(CLUSTER_VHOST)
    assert types["persistence"] == "quorum"
    assert types["push"] == "quorum"
    clients = [ChatClient(cluster_worker_ws(index), cluster_stack.user()) for index in (1, 2)]

    async def kill_celery(acked):
        await asyncio.to_thread(cluster_stack_command, "kill-celery")
        await wait_until(lambda: len(acked) >= 60)  # acknowledged while nothing stores them
        await asyncio.to_thread(cluster_stack_command, "start-celery")

    await stream_through_fault(cluster_stack, clients, kill_celery)
