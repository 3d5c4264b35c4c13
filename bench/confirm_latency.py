"""How long RabbitMQ takes to confirm one publish at a low rate, by queue kind: the floor under a send's ack
(messaging.delivery.send waits for this confirm before acknowledging).

    .venv/bin/python -m bench.confirm_latency [--rate 50] [--seconds 10] [--rounds 2]

On the bench's vhost (bench.servers), one aiormq connection with publisher confirms, as the web workers'
publisher: a ~1.5 KB persistent message (a persistence task's size) to a durable quorum queue (what Parley
declares), to a durable classic queue, and, as a reference without any disk, a transient message to a
non-durable classic queue; one publish at a time at `--rate` per second, each kind in turn, `--rounds` times.
Prints p50 / p90 / p99 / max in ms per kind and round, and fdatasync's own latency for a write of that size on
the disk under RabbitMQ's data folder."""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from dataclasses import dataclass

import aiormq
from pamqp import commands as spec

from bench.loadgen import quantiles
from bench.servers import VHOST, prepare_services, release_services

BODY = b"x" * 1500
RABBITMQ_DATA = "/var/lib/rabbitmq"


@dataclass(frozen=True)
class Kind:
    name: str
    queue_type: str
    durable: bool
    delivery_mode: int  # 2: persistent, written to disk before the confirm


KINDS = (
    Kind("quorum, persistent", "quorum", True, 2),
    Kind("classic, persistent", "classic", True, 2),
    Kind("classic, transient", "classic", False, 1),
)


async def confirm_latencies(kind: Kind, *, rate: float, seconds: float) -> list[float]:
    """Milliseconds from each publish to its confirm."""
    connection = await aiormq.connect(f"amqp://guest:guest@127.0.0.1:5672/{VHOST}")
    channel = await connection.channel(publisher_confirms=True)
    queue = f"confirm-latency-{kind.queue_type}-{kind.delivery_mode}"
    try:
        await channel.queue_declare(queue, durable=kind.durable, arguments={"x-queue-type": kind.queue_type})
        properties = spec.Basic.Properties(delivery_mode=kind.delivery_mode)
        latencies = []
        for _ in range(int(rate * seconds)):
            started = time.perf_counter()
            await channel.basic_publish(BODY, routing_key=queue, properties=properties, mandatory=True)
            latencies.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(1 / rate)
        return latencies
    finally:
        await channel.queue_delete(queue)
        await connection.close()


def fdatasync_latencies(count: int = 200) -> list[float]:
    folder = RABBITMQ_DATA if os.access(RABBITMQ_DATA, os.W_OK) else None  # else the temporary folder's disk
    with tempfile.NamedTemporaryFile(dir=folder) as file:
        latencies = []
        for _ in range(count):
            file.write(BODY)
            file.flush()
            started = time.perf_counter()
            os.fdatasync(file.fileno())
            latencies.append((time.perf_counter() - started) * 1000)
        return latencies


def describe(latencies: list[float]) -> str:
    """The percentiles the bench reports everywhere (bench.loadgen's)."""
    figures = quantiles(latencies, ("p50", "p90", "p99", "max"))
    return "  ".join(f"{name} {value:.2f}" for name, value in figures.items()) + " ms"


async def main(args: argparse.Namespace) -> None:
    for round_number in range(args.rounds):
        for kind in KINDS:
            latencies = await confirm_latencies(kind, rate=args.rate, seconds=args.seconds)
            print(f"round {round_number}  {kind.name:<20} {describe(latencies)}")
    print(f"fdatasync of {len(BODY)} bytes       {describe(fdatasync_latencies())}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    arguments = parser.parse_args()
    prepare_services(fresh=False)
    try:
        asyncio.run(main(arguments))
    finally:
        release_services()
