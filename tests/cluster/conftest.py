"""A 6-node Redis Cluster (3 masters, 3 replicas) from this machine's redis-server, and the full stack
(scripts/stack.sh: 2 web workers behind nginx, a Celery worker) on it, with its own ports, database, RabbitMQ
vhost and stack directory. Started once per run of tests/cluster."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests import slot
from tests.cluster.redis_cluster import RedisCluster
from tests.stack.conftest import ROOT, STACK_ENV, Stack, call_reporting_stack_logs, own_vhost, stack_command

CLUSTER_VHOST = slot.name("parley_cluster_test")
CLUSTER_STACK_ENV = {
    **STACK_ENV,
    "STACK_DIR": str(ROOT / ".stack-cluster-test"),
    "STACK_PORT": str(slot.port(8280)),
    "STACK_WORKER_BASE_PORT": str(slot.port(8281)),
    "STACK_MOTO_PORT": str(slot.port(8290)),
    "STACK_MAIL_PORT": str(slot.port(8291)),
    "DATABASE_URL": f"postgres://root@127.0.0.1:5432/{slot.name('parley_cluster_test')}",
    "CELERY_BROKER_URL": f"amqp://guest:guest@127.0.0.1:5672/{CLUSTER_VHOST}",
}


def cluster_worker_ws(index: int) -> str:
    return f"ws://127.0.0.1:{int(CLUSTER_STACK_ENV['STACK_WORKER_BASE_PORT']) + index - 1}/ws/"


def cluster_stack_command(*args: str) -> None:
    """scripts/stack.sh for the cluster stack (its REDIS_URL names the test cluster)."""
    stack_command(*args, env={**CLUSTER_STACK_ENV, "REDIS_URL": RedisCluster().url})


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisCluster]:
    cluster = RedisCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def cluster_stack(redis_cluster: RedisCluster) -> Iterator[Stack]:
    with own_vhost(CLUSTER_VHOST):
        cluster_stack_command("down")
        cluster_stack_command("up")
        try:
            with requests.Session() as http:
                url, database_url = (
                    f"http://127.0.0.1:{CLUSTER_STACK_ENV['STACK_PORT']}",
                    CLUSTER_STACK_ENV["DATABASE_URL"],
                )
                yield Stack(http, url=url, database_url=database_url)
        finally:
            cluster_stack_command("down")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    return (yield from call_reporting_stack_logs(item, Path(CLUSTER_STACK_ENV["STACK_DIR"]) / "logs"))
