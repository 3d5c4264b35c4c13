"""A web worker's CPU per send in the journal's Redis path, for two versions of Parley, interleaved round by
round (A first in even rounds, B first in odd ones) so that whatever else the machine does weighs on both.

    .venv/bin/python -m bench.journal_ab --base HEAD~1 [--ref ''] [--rounds 4] [--concurrency 50] \
        [--sends 10000] [--hub]

Each version (`--ref ''` is the work tree; otherwise a `git archive` export of the ref) runs in its own Python
process against the bench's private Redis: `--concurrency` sends at a time, each a reserve, its message
built, and a commit with its `message.new` broadcast, as messaging.delivery.send does between the socket
frame and the ack's fan-out (without the broker publish in between, which is not the journal's), over 50
conversations. With `--hub`, the process also follows the 50 conversations through realtime.hub, as a
worker with a socket in each, and counts a send once the hub has read its broadcast back and handed it out.
The process's CPU time over `--sends` sends, after a warm-up, divided by the sends: µs of CPU per send,
medians over the rounds, the ratio of the two medians, and the median of each round's own ratio (its two
runs back to back)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

CONVERSATIONS = 50
REDIS_DB = 13


def child(concurrency: int, sends: int, follow: bool) -> None:
    """Runs inside the measured tree (its modules first on PYTHONPATH); prints one JSON line."""
    import django

    django.setup()
    import redis
    import uvloop

    from messaging import events
    from messaging.delivery.journal import get_journal, seq_key
    from realtime import fanout
    from realtime.hub import Broadcast, get_hub

    class Follower:
        """A socket in every conversation: counts the broadcasts the hub hands it."""

        def __init__(self, expected: int) -> None:
            self.expected = expected
            self.all_arrived = asyncio.Event()

        def on_broadcast(self, broadcast: Broadcast) -> None:
            self.expected -= 1
            if self.expected == 0:
                self.all_arrived.set()

        async def on_hub_reconnected(self) -> None:
            raise RuntimeError("the hub reconnected during the run")

    async def one_send(conversation: int) -> None:
        journal, client_id = get_journal(), uuid.uuid4()
        reservation = await journal.reserve(sender_id=1, client_id=client_id, conversation_id=conversation)
        # Built as message_send builds it: with the reservation's id, in versions whose reservation has one.
        attempt = getattr(reservation, "attempt", None)
        assert reservation.seq is not None  # a fresh client_id each time
        message = events.new_message_payload(
            sender={"id": 1, "username": "ada", "display_name": "Ada"},
            conversation_id=conversation,
            seq=reservation.seq,
            body="x" * 100,
            client_id=client_id,
            **({"message_id": attempt.message_id} if attempt is not None else {}),
        )
        announcement = fanout.conversation_event(
            conversation, events.message_new(message), seq=message["seq"]
        )
        await journal.commit(message, then_publish=announcement)

    async def run(count: int) -> None:
        left = count

        async def sender() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await one_send(1 + left % CONVERSATIONS)

        if not follow:
            await asyncio.gather(*(sender() for _ in range(concurrency)))
            return
        follower = Follower(count)
        channels = [fanout.conversation_channel(c) for c in range(1, CONVERSATIONS + 1)]
        await get_hub().follow(channels, follower)
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        await asyncio.wait_for(follower.all_arrived.wait(), 30)
        await get_hub().unfollow(channels, follower)

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.flushdb()
    for conversation in range(1, CONVERSATIONS + 1):
        client.set(seq_key(conversation), 0)
    uvloop.run(run(500))  # warm-up: connections, code paths
    cpu, wall = time.process_time(), time.perf_counter()
    uvloop.run(run(sends))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    client.flushdb()
    print(json.dumps({"cpu_us_per_send": 1e6 * cpu / sends, "sends_per_s": sends / wall}))


def measure(tree: Path, redis_url: str, args: argparse.Namespace) -> dict[str, Any]:
    from bench.servers import run_in_tree  # not in a child: an older tree's bench/ may lack it

    env = {
        "DJANGO_SETTINGS_MODULE": "chatproject.settings.base",
        "DJANGO_SECRET_KEY": "journal-ab-not-secret",
        "PARLEY_DATA_DIR": str(tree / ".journal-ab-data"),
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
    }
    arguments = ["--child", "--concurrency", str(args.concurrency), "--sends", str(args.sends)]
    return run_in_tree(__file__, tree, [*arguments, *(["--hub"] if args.hub else [])], env)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", default="HEAD~1", help="version A (a git ref)")
    parser.add_argument("--ref", default="", help="version B: a git ref, or '' for the work tree")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--sends", type=int, default=10_000)
    parser.add_argument("--hub", action="store_true", help="also read every broadcast back through the hub")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.concurrency, args.sends, args.hub)
        return

    from bench.servers import REDIS_PORT, BenchRedis, ab_sources, alternating, log

    trees = ab_sources(args.base, args.ref, "journal-ab")
    redis = BenchRedis()
    redis.up()
    results: dict[str, list[dict[str, float]]] = {"A": [], "B": []}
    try:
        for round_number, name in alternating(args.rounds):
            result = measure(trees[name], f"redis://127.0.0.1:{REDIS_PORT}/{REDIS_DB}", args)
            results[name].append(result)
            log(f"round {round_number} {name}: {result['cpu_us_per_send']:.1f} µs CPU per send, "
                f"{result['sends_per_s']:.0f} sends/s")  # fmt: skip
    finally:
        redis.down()
    medians = {name: statistics.median(r["cpu_us_per_send"] for r in runs) for name, runs in results.items()}
    # The machine's speed drifts between rounds: each round's two runs, back to back, make the fairer ratio.
    paired = statistics.median(
        b["cpu_us_per_send"] / a["cpu_us_per_send"] for a, b in zip(results["A"], results["B"], strict=True)
    )
    print(f"A ({args.base}): {medians['A']:.1f} µs CPU per send; B ({args.ref or 'work tree'}): "
          f"{medians['B']:.1f} µs; B/A {medians['B'] / medians['A']:.2f}×, within rounds {paired:.2f}× "
          f"(medians of {args.rounds} rounds, concurrency {args.concurrency}, "
          f"{args.sends} sends each{', read back through the hub' if args.hub else ''})")  # fmt: skip


if __name__ == "__main__":
    main()
