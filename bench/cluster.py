"""Fan-out on a Redis Cluster against one Redis, at the Redis layer Parley's hub uses (realtime.hub).

W subscriber processes (the web workers) each subscribe to every conversation's channel, as a worker with a
socket in every conversation does; one publisher process publishes Parley broadcasts (a JSON header and a
message.new frame, ~400 bytes) round-robin over the conversations, pipelined, as fast as Redis takes them.
Three variants, interleaved in each round so that they share the machine's load:

- `single`: one redis-server, PUBLISH/SUBSCRIBE (Parley's single-server hub);
- `cluster-sharded`: the 3-master cluster, SPUBLISH/SSUBSCRIBE, one subscription connection per master per
  worker (Parley's ClusterHub): a broadcast is handled by its channel's shard only;
- `cluster-classic`: the same cluster with classic PUBLISH/SUBSCRIBE: every broadcast is relayed over the
  cluster bus to every node, whichever node its subscribers are on.

Printed per variant: deliveries/s (messages received by all workers / elapsed) and Redis CPU per delivery
(µs: user+sys CPU of every Redis process, replicas included, from INFO cpu, less their idle background,
over the deliveries; and the busiest node's alone), medians over the rounds, and the same-run ratios. The
deliveries/s are those of Python clients on a shared 2-core machine: they bound the rate here, not Redis.
`python -m bench.cluster [--rounds 3] [--messages 20000] [--workers 2]` (PARLEY_TEST_SLOT
picks the ports, tests/slot.py); it starts and stops its own Redis processes."""

import argparse
import asyncio
import json
import multiprocessing as mp
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode
from redis.asyncio.cluster import RedisCluster as AsyncCluster

from tests import slot
from tests.cluster.redis_cluster import RedisCluster

CONVERSATIONS = 300
PIPELINE = 200
SINGLE_PORT = slot.port(7110)
FRAME = json.dumps({"type": "message.new", "message": {"id": "0" * 36, "body": "x" * 200, "seq": 1}}).encode()
PAYLOAD = b'{"conversation":1,"seq":1,"kind":"event","sent_at":1.0}\n' + FRAME


def channel(variant: str, number: int) -> str:
    return f"db0:conv.{{conv:{number}}}" if variant.startswith("cluster") else f"db0:conv.{number}"


def subscriber(
    variant: str, ports: list[int], expected: int, ready: "mp.synchronize.Barrier", counts
) -> None:
    asyncio.run(_subscribe_and_count(variant, ports, expected, ready, counts))


async def _subscribe_and_count(variant, ports, expected, ready, counts) -> None:
    channels = [channel(variant, n) for n in range(CONVERSATIONS)]
    pubsubs = []
    if variant == "cluster-sharded":  # one connection per master that serves a channel, as ClusterHub
        cluster = AsyncCluster(startup_nodes=[ClusterNode("127.0.0.1", p) for p in ports])
        await cluster.initialize()
        by_node: dict[tuple[str, int | str], list[str]] = {}
        for name in channels:
            node = cluster.get_node_from_key(name)
            assert node is not None, f"no node serves {name}"
            by_node.setdefault((node.host, node.port), []).append(name)
        for (host, port), names in by_node.items():
            pubsub = aioredis.Redis(host=host, port=int(port)).pubsub()
            for name in names:
                await pubsub.ssubscribe(name)
            pubsubs.append(pubsub)
        await cluster.aclose()
    else:  # classic: one connection, to one node (on a cluster any node hears every PUBLISH): not the
        # node published to, so that the relay over the cluster bus is part of the path
        pubsub = aioredis.Redis(port=ports[-1]).pubsub()
        await pubsub.subscribe(*channels)
        pubsubs.append(pubsub)
    for pubsub in pubsubs:  # the subscription confirmations
        confirmed = 0
        while confirmed < len(pubsub.channels) + len(pubsub.shard_channels):
            message = await pubsub.get_message(timeout=5)
            confirmed += message is not None
    await asyncio.to_thread(ready.wait)
    received = 0

    async def read(pubsub) -> None:
        nonlocal received
        while received < expected:
            if await pubsub.get_message(timeout=1) is not None:
                received += 1

    await asyncio.wait_for(asyncio.gather(*(read(p) for p in pubsubs)), 120)
    counts.append(received)


async def publish(variant: str, ports: list[int], messages: int) -> None:
    client: Any
    if variant == "cluster-sharded":
        client = AsyncCluster(startup_nodes=[ClusterNode("127.0.0.1", p) for p in ports])
        send: Callable = lambda pipe, name: pipe.spublish(name, PAYLOAD)  # noqa: E731
    else:  # classic PUBLISH goes to any node (on a cluster, the bus relays it to every other node)
        client = aioredis.Redis(port=ports[0])
        send = lambda pipe, name: pipe.publish(name, PAYLOAD)  # noqa: E731
    for start in range(0, messages, PIPELINE):
        pipe = client.pipeline(transaction=False)
        for n in range(start, min(start + PIPELINE, messages)):
            send(pipe, channel(variant, n % CONVERSATIONS))
        await pipe.execute()
    await client.aclose()


def redis_cpu_seconds(ports: list[int]) -> dict[int, float]:
    """user+sys CPU seconds of each Redis process so far."""
    seconds = {}
    for port in ports:
        cpu = redis.Redis(port=port).info("cpu")
        seconds[port] = float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])
    return seconds


def idle_cpu_rate(ports: list[int], seconds: float = 1.0) -> dict[int, float]:
    """Redis CPU seconds per second with nothing published: a cluster's nodes ping each other all the time;
    that background is subtracted from a run's CPU."""
    before = redis_cpu_seconds(ports)
    time.sleep(seconds)
    after = redis_cpu_seconds(ports)
    return {port: (after[port] - before[port]) / seconds for port in ports}


def one_run(variant: str, ports: list[int], messages: int, workers: int) -> dict[str, float]:
    context = mp.get_context("spawn")
    with context.Manager() as manager:
        counts = manager.list()
        ready = context.Barrier(workers + 1)
        processes = [
            context.Process(target=subscriber, args=(variant, ports, messages, ready, counts))
            for _ in range(workers)
        ]
        for process in processes:
            process.start()
        ready.wait()
        idle_rate = idle_cpu_rate(ports)
        cpu_before, started = redis_cpu_seconds(ports), time.perf_counter()
        asyncio.run(publish(variant, ports, messages))
        for process in processes:
            process.join(180)
        elapsed = time.perf_counter() - started
        deliveries = sum(counts)
        cpu_after = redis_cpu_seconds(ports)
        cpu = {port: cpu_after[port] - cpu_before[port] - idle_rate[port] * elapsed for port in ports}
    assert deliveries == messages * workers, f"{variant}: {deliveries} of {messages * workers} delivered"
    return {
        "deliveries_per_s": deliveries / elapsed,
        "redis_cpu_us_per_delivery": sum(cpu.values()) / deliveries * 1e6,
        "busiest_node_cpu_us_per_delivery": max(cpu.values()) / deliveries * 1e6,
    }


def start_single() -> None:
    subprocess.run(
        ["redis-server", "--port", str(SINGLE_PORT), "--bind", "127.0.0.1", "--daemonize", "yes",
         "--save", "", "--appendonly", "no"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    for _ in range(100):
        try:
            redis.Redis(port=SINGLE_PORT).ping()
            return
        except redis.ConnectionError:
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    cluster = RedisCluster()
    cluster.start()
    start_single()
    masters = cluster.masters()
    variants = {"single": [SINGLE_PORT], "cluster-sharded": cluster.ports, "cluster-classic": cluster.ports}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    try:
        for round_number in range(args.rounds):
            for name, ports in variants.items():
                run = one_run(name, ports, args.messages, args.workers)  # every node's CPU counts
                results[name].append(run)
                print(f"round {round_number + 1} {name}: {run}", flush=True)
    finally:
        cluster.stop()
        subprocess.run(
            ["redis-cli", "-p", str(SINGLE_PORT), "shutdown", "nosave"], capture_output=True, timeout=10
        )
    medians = {
        name: {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        for name, runs in results.items()
    }
    print(f"\nW={args.workers}, {args.messages} broadcasts per run, {CONVERSATIONS} conversations, "
          f"{len(masters)} masters; medians of {args.rounds} rounds")  # fmt: skip
    print(f"{'variant':<16} {'deliveries/s':>13} {'Redis CPU µs/delivery':>22} {'busiest node':>13}")
    for name, figures in medians.items():
        print(
            f"{name:<16} {figures['deliveries_per_s']:>13,.0f} {figures['redis_cpu_us_per_delivery']:>22.2f}"
            f" {figures['busiest_node_cpu_us_per_delivery']:>13.2f}"
        )
    ratios = {
        "throughput cluster-sharded / single": _ratio(
            results, "cluster-sharded", "single", "deliveries_per_s"
        ),
        "CPU per delivery cluster-classic / cluster-sharded": _ratio(
            results, "cluster-classic", "cluster-sharded", "redis_cpu_us_per_delivery"
        ),
        "CPU per delivery cluster-sharded / single": _ratio(
            results, "cluster-sharded", "single", "redis_cpu_us_per_delivery"
        ),
        "busiest node's CPU per delivery cluster-sharded / single": _ratio(
            results, "cluster-sharded", "single", "busiest_node_cpu_us_per_delivery"
        ),
        "busiest node's CPU per delivery cluster-classic / cluster-sharded": _ratio(
            results, "cluster-classic", "cluster-sharded", "busiest_node_cpu_us_per_delivery"
        ),
    }
    for label, value in ratios.items():
        print(f"{label}: {value:.2f} (median of same-round ratios)")
    if args.json:
        args.json.write_text(json.dumps({"medians": medians, "ratios": ratios, "rounds": results}, indent=2))


def _ratio(results: dict[str, list[dict[str, float]]], top: str, bottom: str, key: str) -> float:
    return statistics.median(a[key] / b[key] for a, b in zip(results[top], results[bottom], strict=True))


if __name__ == "__main__":
    main()
